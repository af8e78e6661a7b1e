/**
 * The IPVS settings outside the service table, from global_defs: `lvs_flush` (flush the whole table
 * once, before the first sync), `lvs_timeouts` (ipvsadm --set, at start and on each reload),
 * `lvs_sync_daemon` (the connection-sync daemon: master while the named VRRP instance is MASTER,
 * backup otherwise, as keepalived runs it) and `lvs_flush_on_stop` (flush all, or only our services).
 * Runs in the check child on the same IpvsKernel as the reconciler: the second IPVS writer, and the one
 * that also touches what is not ours (a full flush, timeouts, the sync daemon). The VRRP instance's
 * state arrives as the vrrpState messages the parent relays.
 */
import type { GlobalDefs, LvsSyncDaemon } from "../../config/model.ts";
import { IP_VS_STATE } from "../../proto/ipvs.ts";
import { ERRNO, type IpvsDaemon, IpvsError, type IpvsKernel } from "./kernel.ts";
import type { IpvsLog } from "./reconciler.ts";

/** What the check child applies from global_defs. */
export type LvsGlobals = Pick<GlobalDefs, "lvsFlush" | "lvsFlushOnStop" | "lvsTimeouts" | "lvsSyncDaemon">;

const stateName = (s: number) => (s === IP_VS_STATE.MASTER ? "master" : "backup");

/** The sync daemon the kernel should run for `cfg` in `state` (MASTER or BACKUP). */
export function syncDaemonFor(cfg: LvsSyncDaemon, state: number): IpvsDaemon {
  const d: IpvsDaemon = { state, mcastIfn: cfg.interface, syncId: cfg.syncId ?? 0 };
  if (cfg.maxLen !== null) d.syncMaxLen = cfg.maxLen;
  if (cfg.group !== null) d.mcastGroup = cfg.group;
  if (cfg.port !== null) d.mcastPort = cfg.port;
  if (cfg.ttl !== null) d.mcastTtl = cfg.ttl;
  return d;
}

/** Applies the global LVS settings; every kernel refusal is logged, none stops the checkers. */
export class IpvsSettings {
  #cfg: LvsGlobals | undefined;
  /** The sync daemon we started (state and settings), to stop or restart it. */
  #running: IpvsDaemon | undefined;
  /** Last state seen of every VRRP instance (they may arrive before the configuration). */
  readonly #states = new Map<string, string>();
  #flushed = false;

  constructor(readonly kernel: IpvsKernel, readonly log: IpvsLog) {}

  /** First start and each reload: lvs_flush (first start only), timeouts, sync daemon. */
  configure(g: LvsGlobals): void {
    const prev = this.#cfg;
    this.#cfg = g;
    if (g.lvsFlush && !this.#flushed) {
      this.#flushed = true;
      this.#try("lvs_flush", () => this.kernel.flush());
    }
    const t = g.lvsTimeouts;
    if (t.tcpS !== null || t.tcpFinS !== null || t.udpS !== null) {
      const want = { tcp: t.tcpS ?? 0, tcpFin: t.tcpFinS ?? 0, udp: t.udpS ?? 0 };
      const same = prev && JSON.stringify(prev.lvsTimeouts) === JSON.stringify(t);
      if (!same) this.#try("lvs_timeouts", () => this.kernel.setTimeouts(want));
    }
    if (JSON.stringify(prev?.lvsSyncDaemon ?? null) !== JSON.stringify(g.lvsSyncDaemon)) this.#syncDaemon(true);
  }

  /** A VRRP instance changed state: the sync daemon follows its instance. */
  vrrpState(instance: string, state: string): void {
    this.#states.set(instance, state);
    if (this.#cfg?.lvsSyncDaemon?.vrrpInstance === instance) this.#syncDaemon(false);
  }

  /** Daemon stop: the sync daemon goes, and lvs_flush_on_stop "all" flushes. True when it flushed. */
  stop(): boolean {
    this.#stopDaemon();
    if (this.#cfg?.lvsFlushOnStop === "all") return this.#try("lvs_flush_on_stop", () => this.kernel.flush());
    return false;
  }

  /** Runs the daemon the configuration and the instance's state call for (restarting it if `changed`). */
  #syncDaemon(changed: boolean): void {
    const sd = this.#cfg?.lvsSyncDaemon;
    if (!sd) {
      this.#stopDaemon();
      return;
    }
    const master = sd.vrrpInstance !== null && this.#states.get(sd.vrrpInstance) === "MASTER";
    const state = master ? IP_VS_STATE.MASTER : IP_VS_STATE.BACKUP;
    if (this.#running && this.#running.state === state && !changed) return;
    this.#stopDaemon();
    const d = syncDaemonFor(sd, state);
    const started = this.#try(`lvs_sync_daemon start ${stateName(state)} on ${sd.interface}`, () => {
      try {
        this.kernel.startSyncDaemon(d);
      } catch (e) {
        // A daemon left by an earlier run in this state: replace it with ours.
        if (!(e instanceof IpvsError) || e.errno !== ERRNO.EEXIST) throw e;
        this.kernel.stopSyncDaemon(state);
        this.kernel.startSyncDaemon(d);
      }
    });
    if (started) {
      this.#running = d;
      this.log.info(`IPVS: ${stateName(state)} sync daemon on ${sd.interface}, sync id ${d.syncId}`);
    }
  }

  #stopDaemon(): void {
    const r = this.#running;
    if (!r) return;
    this.#running = undefined;
    this.#try(`lvs_sync_daemon stop ${stateName(r.state)}`, () => {
      try {
        this.kernel.stopSyncDaemon(r.state);
      } catch (e) {
        if (!(e instanceof IpvsError) || e.errno !== ERRNO.ESRCH) throw e;
      }
    });
  }

  #try(what: string, f: () => void): boolean {
    try {
      f();
      return true;
    } catch (e) {
      this.log.error(`IPVS: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
}
