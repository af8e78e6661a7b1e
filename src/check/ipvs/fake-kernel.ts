/**
 * An in-memory IPVS kernel for tests: keeps services and destinations the way ip_vs_ctl.c answers
 * ipvsadm (EEXIST for a duplicate, ESRCH for a missing service, ENOENT for a missing destination or an
 * unknown scheduler, the HASHED flag on every listed service) and records every write it was asked for,
 * so tests assert both the final table and the exact operations that got there.
 */
import { IP_VS_STATE, IP_VS_SVC_F } from "../../proto/ipvs.ts";
import {
  destKey,
  ERRNO,
  type IpvsDaemon,
  type IpvsDest,
  IpvsError,
  type IpvsKernel,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsTimeouts,
  keyOf,
  serviceKey,
} from "./kernel.ts";

/** Schedulers the fake accepts (the Debian kernel's ip_vs_* modules). */
export const FAKE_SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "fo",
  "ovf",
  "mh",
  "twos",
];

interface Svc {
  service: IpvsService;
  dests: Map<string, IpvsDest>;
}

/** The fake kernel; `calls` lists every write as "op key [dest]" in the order received. */
export class FakeIpvsKernel implements IpvsKernel {
  readonly calls: string[] = [];
  #svcs = new Map<string, Svc>();
  #timeouts: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  #daemons = new Map<number, IpvsDaemon>();
  /** When set, the next write whose call text includes this string fails with `failErrno`. */
  failOn: string | null = null;
  failErrno: number = ERRNO.EINVAL;

  #write(call: string): void {
    if (this.failOn !== null && call.includes(this.failOn)) {
      this.failOn = null;
      throw new IpvsError(this.failErrno, call, "injected by the test");
    }
    this.calls.push(call);
  }

  #svc(k: IpvsServiceKey, op: string): Svc {
    const s = this.#svcs.get(serviceKey(k));
    if (!s) throw new IpvsError(ERRNO.ESRCH, op, `no service ${serviceKey(k)}`);
    return s;
  }

  /** All services, as the kernel lists them (HASHED set). */
  getServices(): IpvsService[] {
    return [...this.#svcs.values()].map((s) => ({
      ...s.service,
      flags: s.service.flags | IP_VS_SVC_F.HASHED,
    }));
  }

  /** Destinations of one service. */
  getDests(k: IpvsServiceKey): IpvsDest[] {
    return [...this.#svc(k, "getDests").dests.values()].map((d) => ({ ...d }));
  }

  /** Adds a service; EEXIST when present, ENOENT for an unknown scheduler. */
  addService(s: IpvsService): void {
    const k = serviceKey(s);
    if (this.#svcs.has(k)) throw new IpvsError(ERRNO.EEXIST, `addService ${k}`);
    if (!FAKE_SCHEDULERS.includes(s.sched)) {
      throw new IpvsError(ERRNO.ENOENT, `addService ${k}`, `scheduler ${s.sched}`);
    }
    this.#write(`addService ${k} ${s.sched}`);
    this.#svcs.set(k, { service: { ...s, ...keyOf(s) }, dests: new Map() });
  }

  /** Edits a service's settings; ESRCH when absent. */
  editService(s: IpvsService): void {
    const cur = this.#svc(s, `editService ${serviceKey(s)}`);
    if (!FAKE_SCHEDULERS.includes(s.sched)) {
      throw new IpvsError(ERRNO.ENOENT, `editService ${serviceKey(s)}`, `scheduler ${s.sched}`);
    }
    this.#write(`editService ${serviceKey(s)} ${s.sched}`);
    cur.service = { ...s, ...keyOf(s) };
  }

  /** Removes a service and its destinations; ESRCH when absent. */
  delService(k: IpvsServiceKey): void {
    this.#svc(k, `delService ${serviceKey(k)}`);
    this.#write(`delService ${serviceKey(k)}`);
    this.#svcs.delete(serviceKey(k));
  }

  /** Adds a destination; ESRCH without the service, EEXIST when present. */
  addDest(k: IpvsServiceKey, d: IpvsDest): void {
    const s = this.#svc(k, `addDest ${serviceKey(k)}`);
    const dk = destKey(d);
    if (s.dests.has(dk)) throw new IpvsError(ERRNO.EEXIST, `addDest ${serviceKey(k)} ${dk}`);
    this.#write(`addDest ${serviceKey(k)} ${dk} ${d.fwd} w${d.weight}`);
    s.dests.set(dk, { ...d, activeConns: 0, inactConns: 0, persistConns: 0 });
  }

  /** Edits a destination; ENOENT when absent. */
  editDest(k: IpvsServiceKey, d: IpvsDest): void {
    const s = this.#svc(k, `editDest ${serviceKey(k)}`);
    const dk = destKey(d);
    const cur = s.dests.get(dk);
    if (!cur) throw new IpvsError(ERRNO.ENOENT, `editDest ${serviceKey(k)} ${dk}`);
    this.#write(`editDest ${serviceKey(k)} ${dk} ${d.fwd} w${d.weight}`);
    s.dests.set(dk, { ...cur, ...d });
  }

  /** Removes a destination; ENOENT when absent. */
  delDest(k: IpvsServiceKey, d: Pick<IpvsDest, "addr" | "port" | "addrFamily">): void {
    const s = this.#svc(k, `delDest ${serviceKey(k)}`);
    const dk = destKey(d);
    if (!s.dests.has(dk)) throw new IpvsError(ERRNO.ENOENT, `delDest ${serviceKey(k)} ${dk}`);
    this.#write(`delDest ${serviceKey(k)} ${dk}`);
    s.dests.delete(dk);
  }

  /** Removes everything. */
  flush(): void {
    this.#write("flush");
    this.#svcs.clear();
  }

  /** Sets the non-zero timeouts. */
  setTimeouts(t: IpvsTimeouts): void {
    this.#write(`setTimeouts ${t.tcp} ${t.tcpFin} ${t.udp}`);
    this.#timeouts = {
      tcp: t.tcp || this.#timeouts.tcp,
      tcpFin: t.tcpFin || this.#timeouts.tcpFin,
      udp: t.udp || this.#timeouts.udp,
    };
  }

  /** Current timeouts. */
  getTimeouts(): IpvsTimeouts {
    return { ...this.#timeouts };
  }

  /** Starts a sync daemon; EEXIST when one runs in that state. */
  startSyncDaemon(d: IpvsDaemon): void {
    if (this.#daemons.has(d.state)) throw new IpvsError(ERRNO.EEXIST, `startSyncDaemon state ${d.state}`);
    this.#write(
      `startSyncDaemon ${d.state === IP_VS_STATE.MASTER ? "master" : "backup"} ${d.mcastIfn} ${d.syncId}`,
    );
    this.#daemons.set(d.state, { ...d });
  }

  /** Stops a sync daemon; ESRCH when none runs in that state. */
  stopSyncDaemon(state: number): void {
    if (!this.#daemons.has(state)) throw new IpvsError(ERRNO.ESRCH, `stopSyncDaemon state ${state}`);
    this.#write(`stopSyncDaemon ${state === IP_VS_STATE.MASTER ? "master" : "backup"}`);
    this.#daemons.delete(state);
  }

  /** Running sync daemons. */
  getSyncDaemons(): IpvsDaemon[] {
    return [...this.#daemons.values()].map((d) => ({ ...d }));
  }

  /** Nothing to release. */
  close(): void {}
}
