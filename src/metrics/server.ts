/**
 * The parent's Prometheus endpoint (beyond keepalived; global `metrics_listen ADDR:PORT`): GET /metrics
 * answers the exposition text; anything else is 404 (405 for other methods on /metrics). Served with
 * Bun.serve in the parent, which does no protocol work, so a slow scraper cannot delay an advert.
 */
import type { Logger } from "../core/log.ts";
import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";

/** A running endpoint. */
export interface MetricsServer {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  stop(): void;
}

/** Starts serving `render()` on http://host:port/metrics; throws with the address named on failure. */
export function startMetricsServer(
  listen: { host: string; port: number },
  render: () => string,
  log: Logger,
): MetricsServer {
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: listen.host,
      port: listen.port,
      reusePort: false,
      fetch(req) {
        // An HTTP/1.0 request without Host gives a bare path here; resolve it against a dummy base.
        const url = new URL(req.url, "http://localhost");
        if (url.pathname !== "/metrics") return new Response("not found; try /metrics\n", { status: 404 });
        if (req.method !== "GET" && req.method !== "HEAD") {
          return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
        }
        try {
          return new Response(render(), { headers: { "Content-Type": EXPOSITION_CONTENT_TYPE } });
        } catch (e) {
          log.error(`metrics: cannot render: ${(e as Error).message}`);
          return new Response("internal error\n", { status: 500 });
        }
      },
      error(e) {
        log.error(`metrics: ${e.message}`);
        return new Response("internal error\n", { status: 500 });
      },
    });
  } catch (e) {
    throw new Error(`metrics_listen ${listen.host}:${listen.port}: ${(e as Error).message}`);
  }
  log.info(
    `Serving Prometheus metrics on http://${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${server.port}/metrics`,
  );
  return { port: server.port ?? listen.port, stop: () => void server.stop(true) };
}
