/** The check child: wires the health-check runtime (src/check/) to the child framework; nothing else. */
import { IpvsLvsSink } from "../check/ipvs/sink.ts";
import { type LvsSink, NoLvs } from "../check/lvs.ts";
import { CheckRuntime } from "../check/runtime.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { Reactor } from "../ffi/reactor.ts";
import type { ChildContext, Runtime } from "./child.ts";

/** The IPVS reconciler when the kernel has IPVS (modprobe ip_vs first), else the sink that only reports. */
function openLvs(log: Logger): LvsSink {
  try {
    return IpvsLvsSink.open(log);
  } catch (e) {
    return new NoLvs(log, `IPVS is not available in this kernel (${(e as Error).message})`);
  }
}

/** Builds the check child's runtime. */
export function createCheckRuntime(ctx: ChildContext): Runtime {
  const reactor = new Reactor();
  const rt = new CheckRuntime({
    log: ctx.log,
    sched: ctx.scheduler,
    watcher: reactor,
    lvs: openLvs(ctx.log),
    keepIpvsOnStop: ctx.opts.dontReleaseIpvs,
    send: ctx.send,
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
