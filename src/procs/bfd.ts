/**
 * The BFD child (keepalived's Keepalived_bfd process): wires the BFD runtime (src/bfd/runtime.ts) to the
 * child framework: UDP transport on the reactor, the child's scheduler and logger, bfdState reports to the
 * parent, and the USR1 dump to $TMPDIR/keepalived_bfd.data (or the global `state_dump_file` + `_bfd`).
 */
import type { BfdSlice } from "../config/slice.ts";
import { BfdRuntime } from "../bfd/runtime.ts";
import { dumpPath, writeDumpFile } from "../core/dumpfile.ts";
import { dataInstance } from "../core/instance-files.ts";
import { UdpTransport } from "../bfd/transport.ts";
import type { ChildContext, LoopSettings, Runtime } from "./child.ts";
import { SnapshotReporter } from "../control/child-side.ts";
import { bfdSnapshot } from "../bfd/control-snap.ts";

/**
 * BFD timers are 10 ms: immediate delivery and the default timer window. Readiness from SIGIO: the child
 * watches a handful of fds (its listening sockets and the parent channel), and the reactor's worker
 * thread would cost a second JavaScript VM (docs/design.md, Footprint).
 */
export const loop: LoopSettings = { readiness: "sigio" };

/** Builds the BFD child's runtime. */
export function createBfdRuntime(ctx: ChildContext): Runtime<BfdSlice> {
  let config: BfdSlice | undefined;
  const bfd = new BfdRuntime({
    scheduler: ctx.scheduler,
    log: ctx.log,
    transport: (onDatagram) => new UdpTransport(onDatagram, ctx.log, Math.random, ctx.watcher),
    notify: (name, state, at) => {
      try {
        ctx.send({ type: "bfdState", name, state, at });
        snap.changed();
      } catch (e) {
        ctx.log.warn(`cannot report BFD ${name} ${state} to the parent: ${(e as Error).message}`);
      }
    },
  });
  // Status for keepalived ctl: on every session state change.
  const snap = new SnapshotReporter({ role: "bfd", send: ctx.send, sched: ctx.scheduler, intervalMs: 0, collect: () => bfdSnapshot(bfd.views()) });
  return {
    async apply(slice, reload) {
      config = slice;
      const instances = config.bfd.instances;
      ctx.log.info(`${reload ? "Reloaded" : "Loaded"} configuration: ${instances.length} BFD instance(s)`);
      bfd.apply({ instances }, reload);
      snap.enable(config.global.controlSocket !== null);
      snap.changed();
    },
    dump(kind, to) {
      if (kind !== "data") return;
      const path = to ?? dumpPath("data", "bfd", config?.global.stateDumpFile ?? null, config ? dataInstance(config.global) : null);
      try {
        writeDumpFile(path, bfd.dumpText(config?.global ?? null));
        ctx.log.info(`Printing BFD data for process(${process.pid}) on signal to ${path}`);
      } catch (e) {
        ctx.log.error(`cannot write ${path}: ${(e as Error).message}`);
      }
    },
    onEvent() {},
    snapshot: snap,
    async stop() {
      snap.stop();
      bfd.stop();
      ctx.log.info("Stopped BFD child");
    },
  };
}
