/** The VRRP child: wires the VRRP runtime (src/vrrp/) to the child framework; nothing else. */
import type { VrrpSlice } from "../config/slice.ts";
import { RtnlKernel } from "../vrrp/netkernel.ts";
import { VrrpRuntime } from "../vrrp/runtime.ts";
import type { ChildContext, LoopSettings, Runtime } from "./child.ts";
import { dumpPath, writeDumpFile } from "../core/dumpfile.ts";
import { dataInstance } from "../core/instance-files.ts";
import { dataDump, statsDump } from "../vrrp/dump.ts";
import { jsonDump } from "../dump/ka-json.ts";
import { MetricsReporter } from "../metrics/report.ts";
import { vrrpSamples, vrrpSocketSamples } from "../metrics/vrrp-samples.ts";
import { compatSamples } from "../metrics/compat.ts";
import { SnapshotReporter } from "../control/child-side.ts";
import { vrrpSnapshot } from "../vrrp/control-snap.ts";
import { parentWantsReports } from "../snmp/wants.ts";
import { SettleGc } from "./settle-gc.ts";
import { scriptExits } from "../core/script.ts";

/**
 * Readiness from SIGIO on the main thread (src/ffi/sigio.ts), no reactor worker thread (a second
 * JavaScript VM: ~1.8 MiB anonymous). It has no rate limit of its own: a busy receive socket is taken out
 * by its RxPump (O_ASYNC off) and read on a timer, so a Backup hearing 100 instances (1,000 adverts a
 * second) pays ~5-10 wakes a second instead of one per advert (src/vrrp/sockets.ts pollPeriod: one read
 * per advert interval, per two once 50 reads found no kernel drop); the parent
 * channel and netlink are delivered at once; the process connector goes through an RxPump with a 3 ms
 * period (src/vrrp/proc-events.ts). Timers stay exact because adverts carry
 * the kernel's receive time (SO_TIMESTAMPNS) and a Master_Down_Timer reads its socket before it acts on
 * silence. Timers are kept to a few tens of µs (timerFineMs: Bun's millisecond timers alone were up to a
 * millisecond off), and adverts due within 0.3 ms of each other go out in the same wake, in one sendmmsg.
 * Measurements: docs/vrrp.md, bench/RESULTS.md.
 */
export const loop: LoopSettings = { readiness: "sigio", timerEarlyMs: 0.3, timerFineMs: 1.5 };

/** vrrp_netlink_cmd_rcv_bufs and vrrp_netlink_monitor_rcv_bufs (with _force), at start and reload. */
function setNetlinkBufs(kernel: RtnlKernel, g: VrrpSlice["global"], ctx: ChildContext): void {
  try {
    kernel.setRcvBufs(g.vrrpNetlinkCmdRcvBufs, g.vrrpNetlinkMonitorRcvBufs);
  } catch (e) {
    ctx.log.info(`Netlink: cannot set a receive buffer size - ${(e as Error).message}`);
  }
}

/** The VRRP child's samples for the parent's /metrics (and the compatibility series `modes` asks for). */
function vrrpCollect(rt: VrrpRuntime, modes: NonNullable<VrrpSlice["global"]["metricsCompat"]>) {
  const inst = rt.instances();
  const own = [
    ...vrrpSamples(
      inst.map((r) => ({ cfg: r.cfg, state: r.state, fsm: r.fsm, stats: { ...r.stats }, place: r.place, masterSrc: r.lastAdvertSrc })),
      { stateSeries: !modes.includes("mehdy"), scripts: rt.scripts() },
    ),
    ...vrrpSocketSamples(rt.sockets()),
  ];
  if (!modes.length) return own;
  const views = inst.map((r) => ({ cfg: r.cfg, place: r.place, state: r.state, stats: { ...r.stats } }));
  return [...own, ...compatSamples(modes, views, rt.scripts())];
}

/** Builds the VRRP child's runtime. */
export function createVrrpRuntime(ctx: ChildContext): Runtime<VrrpSlice> {
  const reactor = ctx.watcher;
  const kernel = new RtnlKernel(reactor);
  // A full collection once a burst of state changes has settled (src/procs/settle-gc.ts).
  const settle = new SettleGc(ctx.scheduler);
  // And after script runs: a tracked script that never changes a state would otherwise leave each spawn's garbage uncollected.
  scriptExits.onExit = () => settle.activity();
  const rt = new VrrpRuntime({
    log: ctx.log,
    sched: ctx.scheduler,
    watcher: reactor,
    kernel,
    send: (m) => {
      ctx.send(m);
      if (m.type !== "vrrpState") return;
      reporter.changed();
      settle.changed();
    },
    keepVipsOnStop: ctx.opts.dontReleaseVrrp,
  });
  // Status for keepalived ctl: pushed on transitions, priority changes and a new master heard.
  const startedAt = ctx.scheduler.now();
  const snap = new SnapshotReporter({
    role: "vrrp",
    send: ctx.send,
    sched: ctx.scheduler,
    intervalMs: 0,
    collect: () => vrrpSnapshot(rt, ctx.scheduler.now(), Date.now(), startedAt),
  });
  rt.onControlChange = () => snap.changed();
  let global: VrrpSlice["global"] | undefined;
  let config: VrrpSlice | undefined;
  // Counters (adverts, errors by kind) for the parent's /metrics: every 5 s and soon after a transition.
  const collect = () => vrrpCollect(rt, global?.metricsCompat ?? []);
  const reporter = new MetricsReporter({ role: "vrrp", send: ctx.send, sched: ctx.scheduler, collect });
  return {
    async apply(slice, reload) {
      config = slice;
      global = slice.global;
      setNetlinkBufs(kernel, global, ctx);
      rt.apply(slice, reload);
      reporter.reportIf(parentWantsReports(slice.global, ctx.opts.snmp));
      snap.enable(global.controlSocket !== null);
      snap.changed();
    },
    control: (cmd) => rt.control(cmd),
    snapshot: snap,
    dump(kind, to) {
      const inst = rt.instances();
      if (!config) return;
      const clock = { wallMs: Date.now(), monoMs: ctx.scheduler.now() };
      try {
        if (kind === "data") {
          writeDumpFile(to ?? dumpPath("data", "vrrp", global?.stateDumpFile ?? null, global ? dataInstance(global) : null), dataDump(config, rt, clock));
        } else if (kind === "stats" || kind === "stats_clear") writeDumpFile(dumpPath("stats", "vrrp", global?.statsDumpFile ?? null), statsDump(inst));
        else if (kind === "json") writeDumpFile(dumpPath("json", "vrrp", global?.jsonDumpFile ?? null), jsonDump(config, rt, clock));
        // STATS_CLEAR (and D-Bus PrintStatsClear), as keepalived: write the statistics, then clear them.
        if (kind === "stats_clear") { for (const r of inst) for (const k of Object.keys(r.stats)) r.stats[k as keyof typeof r.stats] = 0; }
      } catch (e) {
        ctx.log.error(`dump: ${(e as Error).message}`);
      }
    },
    onEvent(msg) {
      rt.onEvent(msg);
    },
    async stop() {
      reporter.stop();
      snap.stop();
      settle.stop();
      scriptExits.onExit = undefined;
      await rt.stop();
    },
  };
}
