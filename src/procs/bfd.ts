/** The BFD child: wires the BFD runtime (src/bfd/) to the child framework. */
import type { ChildContext, Runtime } from "./child.ts";

/** Builds the BFD child's runtime. */
export function createBfdRuntime(ctx: ChildContext): Runtime {
  let instances = 0;
  return {
    async apply(slice, reload) {
      const s = slice as { bfd?: { instances?: unknown[] } };
      instances = s.bfd?.instances?.length ?? 0;
      ctx.log.info(`${reload ? "Reloaded" : "Loaded"} configuration: ${instances} BFD instance(s)`);
    },
    dump() {},
    onEvent() {},
    async stop() {
      ctx.log.info("Stopped BFD child");
    },
  };
}
