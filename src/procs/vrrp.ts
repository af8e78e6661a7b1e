/** The VRRP child: wires the VRRP runtime (src/vrrp/) to the child framework. */
import type { ChildContext, Runtime } from "./child.ts";

/** Builds the VRRP child's runtime. */
export function createVrrpRuntime(ctx: ChildContext): Runtime {
  let instances = 0;
  return {
    async apply(slice, reload) {
      const s = slice as { vrrp?: { instances?: unknown[] } };
      instances = s.vrrp?.instances?.length ?? 0;
      ctx.log.info(`${reload ? "Reloaded" : "Loaded"} configuration: ${instances} VRRP instance(s)`);
    },
    dump() {},
    onEvent() {},
    async stop() {
      ctx.log.info("Stopped VRRP child");
    },
  };
}
