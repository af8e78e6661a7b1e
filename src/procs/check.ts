/** The check child: wires the health-check runtime (src/check/) to the child framework. */
import type { ChildContext, Runtime } from "./child.ts";

/** Builds the check child's runtime. */
export function createCheckRuntime(ctx: ChildContext): Runtime {
  let instances = 0;
  return {
    async apply(slice, reload) {
      const s = slice as { check?: { virtualServers?: unknown[] } };
      instances = s.check?.virtualServers?.length ?? 0;
      ctx.log.info(`${reload ? "Reloaded" : "Loaded"} configuration: ${instances} virtual server(s)`);
    },
    dump() {},
    onEvent() {},
    async stop() {
      ctx.log.info("Stopped check child");
    },
  };
}
