/** The check child: wires the health-check runtime (src/check/) to the child framework; nothing else. */
import { IpvsLvsSink, LOOP_CHUNKS } from "../check/ipvs/sink.ts";
import { type LvsSink, NoLvs } from "../check/lvs.ts";
import { IpvsNft } from "../check/nft-ipvs.ts";
import type { NftLink } from "../vrrp/firewall.ts";
import { CheckRuntime } from "../check/runtime.ts";
import { NETLINK_NETFILTER, NetlinkSocket } from "../ffi/netlink.ts";
import { SysError } from "../ffi/libc.ts";
import { inNamespace, ipvsNetnsPath } from "../ffi/netns.ts";
import type { CheckSlice } from "../config/slice.ts";
import { netlinkRcvBuf } from "../config/rx-bufs.ts";
import type { Logger } from "../core/log.ts";
import type { ChildContext, LoopSettings, Runtime } from "./child.ts";
import { MetricsReporter } from "../metrics/report.ts";
import { checkSamples } from "../metrics/check-samples.ts";
import { ipvsSamples } from "../metrics/ipvs-samples.ts";
import { SnapshotReporter } from "../control/child-side.ts";
import { BUSY_CHECKERS } from "./tuning.ts";

/**
 * The IPVS reconciler when the kernel has IPVS (modprobe ip_vs first), else the sink that only reports.
 * With net_namespace_ipvs (`ns`) its generic netlink socket is opened in that namespace, and the socket
 * stays there while the child returns to its own.
 */
function openLvs(log: Logger, ns: string | undefined): LvsSink {
  try {
    const open = () => IpvsLvsSink.open(log, {}, LOOP_CHUNKS);
    return ns === undefined ? open() : inNamespace(ipvsNetnsPath(ns), open);
  } catch (e) {
    if (ns !== undefined && e instanceof SysError && e.syscall !== "socket") {
      return new NoLvs(log, `Unable to set network namespace ${ns || "(default)"} for IPVS (${e.message})`);
    }
    return new NoLvs(log, `IPVS is not available in this kernel (${(e as Error).message})`);
  }
}

/** The netfilter socket of nftables_ipvs, in the net_namespace_ipvs namespace when there is one. */
function nftOpener(ns: string | undefined): (() => NftLink) | undefined {
  if (ns === undefined) return undefined;
  return () => inNamespace(ipvsNetnsPath(ns), () => new NetlinkSocket(NETLINK_NETFILTER));
}

/**
 * The check child runs the timers due in the next 20 ms together (a check may start that much early):
 * under qemu TCG with 2,000 real servers one timer wake per check cost more than the checks
 * (bench/ipvs-vm.ts: CPU per check 519 -> 380 us). Its fds raise SIGIO (no reactor Worker, a second
 * JavaScript VM); the PING_CHECK sockets, one per ping in flight, are rate limited to one poll per 20 ms
 * while they are busy (SigioWatcher holdMs), the parent channel is delivered at once.
 */
export const loop: LoopSettings = { readiness: "sigio", sigioHoldMs: 20, timerEarlyMs: 20 };

/** How old the IPVS counters on /metrics may be, ms (the report interval). */
export const IPVS_STATS_MS = 5000;

/** How many checkers a slice runs. */
function checkerCount(c: CheckSlice): number {
  let n = 0;
  for (const vs of c.check.virtualServers) for (const rs of vs.realServers) n += rs.checkers.length;
  return n;
}

/** Builds the check child's runtime. */
export function createCheckRuntime(ctx: ChildContext): Runtime<CheckSlice> {
  const reactor = ctx.watcher;
  const ns = ctx.opts.ipvsNamespace;
  const lvs = openLvs(ctx.log, ns);
  const opener = nftOpener(ns);
  const rt = new CheckRuntime({
    log: ctx.log,
    nft: opener ? new IpvsNft(ctx.log, opener) : undefined,
    sched: ctx.scheduler,
    watcher: reactor,
    lvs,
    keepIpvsOnStop: ctx.opts.dontReleaseIpvs,
    send: (m) => {
      ctx.send(m);
      if (m.type === "rsState" || m.type === "vsState") {
        reporter.changed();
        snap.changed();
      }
    },
  });
  let compat: CheckSlice["global"]["metricsCompat"] = [];
  // IPVS counters are read from the kernel with a report, at most once per IPVS_STATS_MS: reports after
  // real-server changes come more often, and a dump of a large table is not free.
  let ipvs: { at: number; samples: ReturnType<typeof ipvsSamples> } | undefined;
  const ipvsNow = () => {
    const now = ctx.scheduler.now();
    if (!ipvs || now - ipvs.at >= IPVS_STATS_MS) ipvs = { at: now, samples: ipvsSamples(lvs.stats?.() ?? [], compat) };
    return ipvs.samples;
  };
  const collect = () => [...checkSamples(rt.checkerViews()), ...ipvsNow()];
  const reporter = new MetricsReporter({ role: "check", send: ctx.send, sched: ctx.scheduler, collect });
  // Status for keepalived ctl: soon after a server changes state, and when the parent finds it old.
  const snap = new SnapshotReporter({ role: "check", send: ctx.send, sched: ctx.scheduler, intervalMs: 0, collect: () => rt.snapshot() });
  return {
    async apply(slice, reload) {
      compat = slice.global.metricsCompat;
      lvs.setRcvBuf?.(netlinkRcvBuf(slice.global.lvsNetlinkCmdRcvBufs, undefined));
      rt.apply(slice, reload);
      // `ready` once the first table (or the reload's) is in the kernel, as when it was applied in one turn.
      await lvs.settled?.();
      reporter.reportIf(slice.global.metricsListen !== null);
      // A large child's first snapshot (2.5 MB of JSON at 10,000 real servers, built right after the first
      // table, where it made the child's and the parent's peaks: bench/RESULTS.md) waits for a change or
      // for the parent to ask; a reload still pushes the new state.
      const quiet = !reload && checkerCount(slice) >= BUSY_CHECKERS;
      snap.enable(slice.global.controlSocket !== null, !quiet);
      if (!quiet) snap.changed();
    },
    snapshot: snap,
    control(cmd) {
      const { changed, ...r } = rt.control(cmd);
      // The overrides every starting child is sent (most often none) change nothing: no snapshot for them.
      if (changed !== false) snap.changed();
      return r;
    },
    dump(kind, to) {
      rt.dump(kind, to);
    },
    onEvent(msg) {
      rt.onEvent(msg);
    },
    async stop() {
      reporter.stop();
      snap.stop();
      rt.stop();
    },
  };
}
