/**
 * The checker part of KEEPALIVED-MIB (keepalived.check, enterprises.9586.100.5.3): virtualServerTable
 * (check 3) and realServerTable (check 4) from the configuration and the check child's rsState /
 * vsState events, and the realServerStateChange / virtualServerQuorumStateChange notifications
 * (checkTraps 1, 2). Served columns: identity, configuration and checker state (with `snmp_name` as
 * virtualServerName, column 71, and realServerName, column 55); the IPVS statistics
 * and rate columns, the group tables and lvsSyncDaemon / lvsTimeouts are not served. keepalived
 * 2.2.7 exits when the kernel has no IPVS, so these rows are not compared against it here.
 */
import type { RealServer, VirtualServer } from "../config/model-check.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import type { Message } from "../core/ipc.ts";
import { rsName, vsName } from "../alert/names.ts";
import { ipBytes, KEEPALIVED_OID, type MibEnv } from "./mib-keepalived.ts";
import type { Varbind } from "./oid.ts";
import { scriptText } from "./script-text.ts";
import type { Trap } from "./traps.ts";

const C = (...s: number[]): number[] => [...KEEPALIVED_OID, 3, ...s];
const int = (oid: number[], value: number): Varbind => ({ oid, type: "int", value });
const gauge = (oid: number[], value: number): Varbind => ({ oid, type: "gauge", value });
const str = (oid: number[], value: string | Uint8Array): Varbind => ({ oid, type: "str", value });
const yn = (b: boolean | null | undefined) => (b ? 1 : 2);

const ALGO: Readonly<Record<string, number>> = {
  rr: 1,
  wrr: 2,
  lc: 3,
  wlc: 4,
  lblc: 5,
  lblcr: 6,
  dh: 7,
  sh: 8,
  sed: 9,
  nq: 10,
  fo: 11,
  ovf: 12,
  mh: 13,
  twos: 14,
};
const KIND = { NAT: 1, DR: 2, TUN: 3 } as const;
const PROTO = { TCP: 1, UDP: 2, SCTP: 3 } as const;

/** The parent's view of checker states, from rsState / vsState (a real server starts UP unless alpha). */
export class CheckLive {
  readonly #rs = new Map<string, { up: boolean; weight: number }>();
  readonly #vs = new Map<string, boolean>();

  /** Records a check child event; returns true when it is one. */
  onMessage(msg: Message): boolean {
    if (msg.type === "rsState") this.#rs.set(`${msg.vs}|${msg.rs}`, { up: msg.state === "UP", weight: msg.weight });
    else if (msg.type === "vsState") this.#vs.set(msg.vs, msg.state === "UP");
    else return false;
    return true;
  }

  /** Whether a real server passes its checks now, and its weight. */
  rs(vs: VirtualServer, rs: RealServer): { up: boolean; weight: number } {
    return this.#rs.get(`${vsName(vs)}|${rsName(vs, rs)}`) ?? { up: !(rs.alpha ?? vs.alpha), weight: rs.weight };
  }

  /** Whether the virtual server has its quorum (live weight against `quorum` before any report). */
  quorumUp(vs: VirtualServer): boolean {
    const r = this.#vs.get(vsName(vs));
    if (r !== undefined) return r;
    const live = vs.realServers.reduce((n, rs) => n + (this.rs(vs, rs).up ? rs.weight : 0), 0);
    return live >= vs.quorum;
  }
}

function vsId(vs: VirtualServer, n: number): Varbind[] {
  const e = (c: number) => C(3, 1, c, n);
  const type = vs.kind === "fwmark" ? 1 : vs.kind === "group" ? 3 : 2;
  const out = [int(e(2), type)];
  if (vs.kind === "group") out.push(str(e(3), vs.group ?? ""));
  if (vs.kind === "fwmark") out.push(gauge(e(4), vs.fwmark ?? 0));
  if (vs.kind === "address") out.push(int(e(5), vs.family === "ipv6" ? 2 : 1), str(e(6), ipBytes(vs.address)), gauge(e(7), vs.port ?? 0));
  return out;
}

function vsRows(vs: VirtualServer, n: number, live: CheckLive): Varbind[] {
  const e = (c: number) => C(3, 1, c, n);
  const up = vs.realServers.filter((rs) => live.rs(vs, rs).up).length;
  const quorum = live.quorumUp(vs);
  const out = [...vsId(vs, n), int(e(8), PROTO[vs.protocol]), int(e(9), ALGO[vs.scheduler] ?? 99), int(e(10), KIND[vs.forward.method])];
  out.push(int(e(11), quorum ? 1 : 2));
  if (vs.virtualhost) out.push(str(e(12), vs.virtualhost));
  out.push(int(e(13), yn(vs.persistenceTimeoutMs !== null)));
  if (vs.persistenceTimeoutMs !== null) out.push(gauge(e(14), Math.round(vs.persistenceTimeoutMs / 1000)));
  if (vs.persistenceGranularity) out.push(str(e(15), ipBytes(vs.persistenceGranularity)));
  out.push(gauge(e(16), Math.round(vs.delayLoopMs / 1000)), int(e(17), yn(vs.haSuspend)), int(e(18), yn(vs.alpha)), int(e(19), yn(vs.omega)));
  out.push(gauge(e(20), vs.realServers.length), gauge(e(21), up), gauge(e(22), vs.quorum), int(e(23), quorum ? 1 : 2));
  const qu = scriptText(vs.quorumUp), qd = scriptText(vs.quorumDown);
  if (qu) out.push(str(e(24), qu));
  if (qd) out.push(str(e(25), qd));
  out.push(gauge(e(26), vs.hysteresis), int(e(37), yn(vs.ops)));
  if (vs.snmpName !== null) out.push(str(e(71), vs.snmpName));
  return out;
}

function rsRows(vs: VirtualServer, n: number, live: CheckLive): Varbind[] {
  const out: Varbind[] = [];
  const all: [RealServer | VirtualServer["sorryServer"], boolean][] = [...vs.realServers.map((r) => [r, false] as [RealServer, boolean])];
  if (vs.sorryServer) all.push([vs.sorryServer, true]);
  all.forEach(([rs, sorry], i) => {
    const e = (c: number) => C(4, 1, c, n, i + 1);
    const fam = ipBytes(rs!.address).length === 16 ? 2 : 1;
    out.push(int(e(2), sorry ? 2 : 1), int(e(3), fam), str(e(4), ipBytes(rs!.address)), gauge(e(5), rs!.port ?? vs.port ?? 0));
    if (sorry) return;
    const r = rs as RealServer, st = live.rs(vs, r);
    out.push(int(e(6), st.up ? 1 : 2), int(e(7), st.weight));
    if (r.uthreshold !== null) out.push(gauge(e(8), r.uthreshold));
    if (r.lthreshold !== null) out.push(gauge(e(9), r.lthreshold));
    out.push(int(e(10), (r.inhibitOnFailure ?? vs.inhibitOnFailure) ? 2 : 1));
    const nu = scriptText(r.notifyUp), nd = scriptText(r.notifyDown);
    if (nu) out.push(str(e(11), nu));
    if (nd) out.push(str(e(12), nd));
    out.push(int(e(40), KIND[(r.forward ?? vs.forward).method]));
    if (r.virtualhost ?? vs.virtualhost) out.push(str(e(41), (r.virtualhost ?? vs.virtualhost)!));
    out.push(int(e(42), yn(r.alpha ?? vs.alpha)));
    if (r.snmpName !== null) out.push(str(e(55), r.snmpName));
  });
  return out;
}

/** The virtual and real server tables. */
export function checkRows(cfg: KeepalivedConfig, live: CheckLive): Varbind[] {
  return cfg.check.virtualServers.flatMap((vs, i) => [...vsRows(vs, i + 1, live), ...rsRows(vs, i + 1, live)]);
}

/** The notification for a check child event (after `live` recorded it). */
export function checkTrap(msg: Message, env: MibEnv, live: CheckLive): Trap | undefined {
  if (msg.type !== "rsState" && msg.type !== "vsState") return undefined;
  const list = env.cfg.check.virtualServers;
  const n = list.findIndex((v) => vsName(v) === msg.vs);
  const vs = list[n];
  if (!vs) return undefined;
  const ix = n + 1;
  const rows = vsRows(vs, ix, live);
  const col = (c: number) => rows.find((r) => r.oid.length === C(3, 1, c, ix).length && r.oid[r.oid.length - 2] === c)!;
  const tail = [
    col(2),
    col(8),
    col(21),
    col(20),
    { oid: [...KEEPALIVED_OID, 1, 2, 0], type: "str" as const, value: env.cfg.global.routerId ?? env.hostname },
    ...vsId(vs, ix).slice(1),
  ];
  if (msg.type === "vsState") return { oid: C(5, 0, 2), varbinds: [col(2), col(8), col(23), col(22), col(21), col(20), ...tail.slice(4)] };
  const ri = vs.realServers.findIndex((r) => rsName(vs, r) === msg.rs);
  if (ri < 0) return undefined;
  const rr = rsRows(vs, ix, live).filter((r) => r.oid[r.oid.length - 1] === ri + 1);
  const rc = (c: number) => rr.find((r) => r.oid[r.oid.length - 3] === c)!;
  return { oid: C(5, 0, 1), varbinds: [rc(3), rc(4), rc(5), rc(6), ...tail] };
}
