/** The check child: wires the health-check runtime (src/check/) to the child framework; nothing else. */
import { CheckRuntime } from "../check/runtime.ts";
import { loadIpvsModule, NoLvs } from "../check/lvs.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { Reactor } from "../ffi/reactor.ts";
import type { ChildContext, Runtime } from "./child.ts";

/** Builds the check child's runtime. */
export function createCheckRuntime(ctx: ChildContext): Runtime {
  const reactor = new Reactor();
  // The IPVS reconciler (src/check/ipvs/) plugs in here once it is available; until then, and
  // whenever the kernel lacks IPVS, the table is kept but not programmed.
  const why = loadIpvsModule()
    ? "the IPVS reconciler is not wired into this build yet"
    : "this kernel has no IPVS (ip_vs module not available)";
  const rt = new CheckRuntime({
    log: ctx.log,
    sched: ctx.scheduler,
    watcher: reactor,
    lvs: new NoLvs(ctx.log, why),
    keepIpvsOnStop: ctx.opts.dontReleaseIpvs,
  });
  return {
    async apply(slice, reload) {
      rt.apply(slice as KeepalivedConfig, reload);
    },
    dump(kind) {
      rt.dump(kind);
    },
    onEvent(msg) {
      rt.onEvent(msg);
    },
    async stop() {
      rt.stop();
      reactor.close();
    },
  };
}
