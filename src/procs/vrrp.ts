/** The VRRP child: wires the VRRP runtime (src/vrrp/) to the child framework; nothing else. */
import type { KeepalivedConfig } from "../config/model.ts";
import { Reactor } from "../ffi/reactor.ts";
import { RtnlKernel } from "../vrrp/netkernel.ts";
import { VrrpRuntime } from "../vrrp/runtime.ts";
import type { ChildContext, Runtime } from "./child.ts";

/** Builds the VRRP child's runtime. */
export function createVrrpRuntime(ctx: ChildContext): Runtime {
  const reactor = new Reactor();
  const rt = new VrrpRuntime({
    log: ctx.log,
    sched: ctx.scheduler,
    watcher: reactor,
    kernel: new RtnlKernel(reactor),
    send: ctx.send,
    keepVipsOnStop: ctx.opts.dontReleaseVrrp,
  });
  return {
    async apply(slice, reload) {
      rt.apply(slice as KeepalivedConfig, reload);
    },
    dump() {},
    onEvent(msg) {
      rt.onEvent(msg);
    },
    async stop() {
      await rt.stop();
      reactor.close();
    },
  };
}
