/**
 * The IPVS kernel as the checker process sees it: one method per kernel operation (ipvsadm(8) -L, -A,
 * -E, -D, -a, -e, -d, -C, --set, --start-daemon, --stop-daemon), so the reconciler can run against the
 * real kernel (netlink-kernel.ts) or an in-memory fake (fake-kernel.ts). Values use the codec's types
 * from src/proto/ipvs.ts. Errors are thrown as IpvsError with the kernel's errno.
 * Also: identity keys for services and destinations, and the comparison the reconciler uses.
 */
import { addrToBytes, bytesToAddr } from "../../proto/netlink.ts";
import { IP_VS_SVC_F, type IpvsDaemon, type IpvsDest, type IpvsService, type IpvsServiceKey, type IpvsTimeouts } from "../../proto/ipvs.ts";

export type { IpvsDaemon, IpvsDest, IpvsService, IpvsServiceKey, IpvsTimeouts };

/** One kernel operation per method; every write throws IpvsError when the kernel refuses it. */
export interface IpvsKernel {
  /** All virtual services (ipvsadm -L). */
  getServices(): IpvsService[];
  /** The real servers of one service. */
  getDests(svc: IpvsServiceKey): IpvsDest[];
  /** ipvsadm -A. */
  addService(svc: IpvsService): void;
  /** ipvsadm -E: scheduler, flags, persistence of an existing service. */
  editService(svc: IpvsService): void;
  /** ipvsadm -D (its destinations go with it). */
  delService(svc: IpvsServiceKey): void;
  /** ipvsadm -a. */
  addDest(svc: IpvsServiceKey, dest: IpvsDest): void;
  /** ipvsadm -e: forwarding method, weight, thresholds, tunnel of an existing destination. */
  editDest(svc: IpvsServiceKey, dest: IpvsDest): void;
  /** ipvsadm -d. */
  delDest(svc: IpvsServiceKey, dest: Pick<IpvsDest, "addr" | "port" | "addrFamily">): void;
  /** ipvsadm -C: every service, owned or not. */
  flush(): void;
  /** ipvsadm --set tcp tcpfin udp (seconds; 0 keeps the current value). */
  setTimeouts(t: IpvsTimeouts): void;
  /** The current timeouts. */
  getTimeouts(): IpvsTimeouts;
  /** ipvsadm --start-daemon. */
  startSyncDaemon(d: IpvsDaemon): void;
  /** ipvsadm --stop-daemon; `state` is IP_VS_STATE.MASTER or BACKUP. */
  stopSyncDaemon(state: number): void;
  /** Running sync daemons. */
  getSyncDaemons(): IpvsDaemon[];
  /** Releases the socket. */
  close(): void;
}

/** A refused kernel operation: `errno` is positive (17 EEXIST, 2 ENOENT, 3 ESRCH, 22 EINVAL). */
export class IpvsError extends Error {
  override readonly name = "IpvsError";
  constructor(readonly errno: number, readonly op: string, detail = "") {
    super(`IPVS ${op}: errno ${errno}${detail ? ` (${detail})` : ""}`);
  }
}

/** Errno values the fake kernel and the tests use. */
export const ERRNO = { ENOENT: 2, ESRCH: 3, EEXIST: 17, EINVAL: 22, EBUSY: 16 } as const;

/** An IPv4 dotted quad already in canonical form (no leading zeros, each part 0-255). */
const CANON_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Canonical text of an address (IPv6 compressed and lower-case), so config text and kernel output compare.
 * A canonical IPv4 address is returned as it is, without parsing it to bytes and back: a flush of 10,000
 * real servers calls this several times per operation.
 */
export function canonAddr(addr: string): string {
  if (CANON_V4.test(addr)) return addr;
  const b = addrToBytes(addr);
  return b ? (bytesToAddr(b) ?? addr) : addr;
}

/** Identity of a service: fwmark services by family and mark, others by family, protocol, address, port. */
export function serviceKey(s: IpvsServiceKey): string {
  if (s.fwmark) return `fwmark ${s.fwmark} af${s.af}`;
  const proto = s.protocol === 17 ? "udp" : s.protocol === 132 ? "sctp" : s.protocol === 6 || s.protocol === undefined ? "tcp" : `proto${s.protocol}`;
  const addr = canonAddr(s.addr ?? (s.af === 10 ? "::" : "0.0.0.0"));
  return `${proto} ${addr.includes(":") ? `[${addr}]` : addr}:${s.port ?? 0}`;
}

/** The key fields of a service only (what DEL and the dest commands send). */
export function keyOf(s: IpvsServiceKey): IpvsServiceKey {
  if (s.fwmark) return { af: s.af, fwmark: s.fwmark };
  return {
    af: s.af,
    protocol: s.protocol ?? 6,
    addr: canonAddr(s.addr ?? (s.af === 10 ? "::" : "0.0.0.0")),
    port: s.port ?? 0,
  };
}

/** Identity of a destination within its service. */
export function destKey(d: Pick<IpvsDest, "addr" | "port" | "addrFamily">): string {
  const a = canonAddr(d.addr);
  return `${a.includes(":") ? `[${a}]` : a}:${d.port}`;
}

/** Flags the kernel sets by itself and reports back (IP_VS_SVC_F_HASHED); never part of a comparison. */
const KERNEL_OWN_FLAGS = IP_VS_SVC_F.HASHED;

/** Names the service settings that differ between `want` and `have` (empty = same). */
export function serviceDiffers(want: IpvsService, have: IpvsService): string[] {
  const out: string[] = [];
  if (want.sched !== have.sched) out.push(`scheduler ${have.sched} -> ${want.sched}`);
  const wf = want.flags & ~KERNEL_OWN_FLAGS, hf = have.flags & ~KERNEL_OWN_FLAGS;
  if (wf !== hf) out.push(`flags 0x${hf.toString(16)} -> 0x${wf.toString(16)}`);
  const persistent = (wf & IP_VS_SVC_F.PERSISTENT) !== 0;
  if (persistent && want.timeout !== have.timeout) out.push(`timeout ${have.timeout} -> ${want.timeout} s`);
  if (persistent && want.netmask >>> 0 !== have.netmask >>> 0) {
    out.push(`netmask ${have.netmask >>> 0} -> ${want.netmask >>> 0}`);
  }
  if ((want.peName ?? "") !== (have.peName ?? "")) {
    out.push(`pe ${have.peName ?? "none"} -> ${want.peName ?? "none"}`);
  }
  return out;
}

/** Names the destination settings that differ between `want` and `have` (empty = same). */
export function destDiffers(want: IpvsDest, have: IpvsDest): string[] {
  const out: string[] = [];
  if (want.fwd !== have.fwd) out.push(`forwarding ${have.fwd} -> ${want.fwd}`);
  if (want.weight !== have.weight) out.push(`weight ${have.weight} -> ${want.weight}`);
  if (want.uThresh !== have.uThresh) out.push(`uthreshold ${have.uThresh} -> ${want.uThresh}`);
  if (want.lThresh !== have.lThresh) out.push(`lthreshold ${have.lThresh} -> ${want.lThresh}`);
  if (want.fwd === "tunnel") {
    if ((want.tunType ?? 0) !== (have.tunType ?? 0)) {
      out.push(`tunnel type ${have.tunType ?? 0} -> ${want.tunType ?? 0}`);
    }
    if ((want.tunPort ?? 0) !== (have.tunPort ?? 0)) {
      out.push(`tunnel port ${have.tunPort ?? 0} -> ${want.tunPort ?? 0}`);
    }
    if ((want.tunFlags ?? 0) !== (have.tunFlags ?? 0)) {
      out.push(`tunnel flags ${have.tunFlags ?? 0} -> ${want.tunFlags ?? 0}`);
    }
  }
  return out;
}
