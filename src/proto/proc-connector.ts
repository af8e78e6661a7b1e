/**
 * The netlink process connector (Linux UAPI linux/connector.h, linux/cn_proc.h): the PROC_CN_MCAST_LISTEN
 * request, and the proc_event records the kernel multicasts to group CN_IDX_PROC when a process forks,
 * execs, changes its comm or exits. keepalived's vrrp_track_process follows processes this way.
 *
 * Layout: nlmsghdr, struct cn_msg { cb_id {u32 idx, u32 val}, u32 seq, u32 ack, u16 len, u16 flags },
 * then the payload: for events struct proc_event { u32 what, u32 cpu, u64 timestamp_ns, union }. All in
 * host byte order. Pure: bytes in, typed events out; a record too short for its kind is skipped.
 */
import { nlmsg, NLMSG_DONE, splitMessages } from "./netlink.ts";

/** Connector id of the process events (CN_IDX_PROC, CN_VAL_PROC); also the multicast group. */
export const CN_IDX_PROC = 1, CN_VAL_PROC = 1;
const CN_MSG_LEN = 20;
const PROC_CN_MCAST_LISTEN = 1, PROC_CN_MCAST_IGNORE = 2;
/** proc_event.what values used here. */
export const PROC_EVENT = { NONE: 0, FORK: 1, EXEC: 2, COMM: 0x200, EXIT: 0x80000000 } as const;

/** A process event, by thread group (a thread's events are reported with its tgid too). */
export type ProcEvent =
  | { kind: "fork"; parentTgid: number; childPid: number; childTgid: number }
  | { kind: "exec"; pid: number; tgid: number }
  | { kind: "comm"; pid: number; tgid: number; comm: string }
  | { kind: "exit"; pid: number; tgid: number };

/** The request that subscribes (true) or unsubscribes this socket to process events. */
export function encodeListen(seq: number, portId: number, listen = true): Uint8Array {
  const body = new Uint8Array(CN_MSG_LEN + 4);
  const v = new DataView(body.buffer);
  v.setUint32(0, CN_IDX_PROC, true);
  v.setUint32(4, CN_VAL_PROC, true);
  v.setUint32(8, seq, true);
  v.setUint16(16, 4, true);
  v.setUint32(20, listen ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE, true);
  return nlmsg(NLMSG_DONE, 0, seq, body, portId);
}

function one(p: Uint8Array): ProcEvent | undefined {
  if (p.length < CN_MSG_LEN + 16) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (v.getUint32(0, true) !== CN_IDX_PROC || v.getUint32(4, true) !== CN_VAL_PROC) return undefined;
  const what = v.getUint32(CN_MSG_LEN, true);
  const d = CN_MSG_LEN + 16;
  const u = (i: number) => v.getUint32(d + 4 * i, true);
  const has = (n: number) => p.length >= d + n;
  if (what === PROC_EVENT.FORK && has(16)) return { kind: "fork", parentTgid: u(1), childPid: u(2), childTgid: u(3) };
  if (what === PROC_EVENT.EXEC && has(8)) return { kind: "exec", pid: u(0), tgid: u(1) };
  if (what === PROC_EVENT.EXIT && has(8)) return { kind: "exit", pid: u(0), tgid: u(1) };
  if (what === PROC_EVENT.COMM && has(24)) {
    const raw = p.subarray(d + 8, d + 24);
    const end = raw.indexOf(0);
    return { kind: "comm", pid: u(0), tgid: u(1), comm: new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end)) };
  }
  return undefined;
}

/** The process events in one datagram (other connector messages and unknown kinds are left out). */
export function parseProcEvents(datagram: Uint8Array): ProcEvent[] {
  const msgs = splitMessages(datagram);
  if (!msgs.ok) return [];
  const out: ProcEvent[] = [];
  for (const m of msgs.value) {
    const e = one(m.payload);
    if (e) out.push(e);
  }
  return out;
}
