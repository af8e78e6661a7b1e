/**
 * Loads the strace captures in test/fixtures/netlink/*.json (see capture.ts there) and normalises the
 * per-run fields (nlmsg_seq, nlmsg_pid) so captured requests can be compared byte for byte.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type NlMessage, NLMSG_HDRLEN, splitMessages } from "../../../src/proto/netlink.ts";

/** A captured netlink datagram. */
export interface CapturedDatagram {
  dir: "send" | "recv";
  bytes: Uint8Array;
}

/** A fixture file: the command that produced it and the datagrams it exchanged. */
export interface Fixture {
  command: string;
  note: string;
  datagrams: CapturedDatagram[];
}

const DIR = join(import.meta.dir, "../../fixtures/netlink");

/** Hex string to bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Bytes to lower-case hex. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Loads test/fixtures/netlink/<name>.json. */
export function loadFixture(name: string): Fixture {
  const raw = JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as {
    command: string;
    note: string;
    datagrams: { dir: "send" | "recv"; hex: string }[];
  };
  return { command: raw.command, note: raw.note, datagrams: raw.datagrams.map((d) => ({ dir: d.dir, bytes: fromHex(d.hex) })) };
}

/** The first datagram in direction `dir` whose first message has nlmsg_type `type`. */
export function findDatagram(f: Fixture, dir: "send" | "recv", type: number, nth = 0): Uint8Array {
  const hits = f.datagrams.filter((d) => d.dir === dir && d.bytes.length >= 6 && (d.bytes[4]! | (d.bytes[5]! << 8)) === type);
  const hit = hits[nth];
  if (!hit) throw new Error(`${f.command}: no ${dir} datagram #${nth} of type ${type}`);
  return hit.bytes;
}

/**
 * The datagrams received in reply to the `nth` sent datagram of `type`: later received datagrams with its
 * nlmsg_seq and the port id of the first reply, until the next request of the same type and seq
 * (iproute2 interleaves GETLINK lookups on another socket with the same seq).
 */
export function replyTo(f: Fixture, type: number, nth = 0): Uint8Array[] {
  const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
  const typeOf = (b: Uint8Array): number => b[4]! | (b[5]! << 8);
  const sends = f.datagrams.filter((d) => d.dir === "send" && d.bytes.length >= 16 && typeOf(d.bytes) === type);
  const req = sends[nth];
  if (!req) throw new Error(`${f.command}: no sent datagram #${nth} of type ${type}`);
  const seq = u32(req.bytes, 8);
  let pid: number | undefined;
  const out: Uint8Array[] = [];
  for (const d of f.datagrams.slice(f.datagrams.indexOf(req) + 1)) {
    if (d.bytes.length < 16 || u32(d.bytes, 8) !== seq) continue;
    if (d.dir === "send") {
      if (typeOf(d.bytes) === type) break;
      continue;
    }
    pid ??= u32(d.bytes, 12);
    if (u32(d.bytes, 12) === pid) out.push(d.bytes);
  }
  return out;
}

/** The messages of the first matching datagram, split. */
export function findMessages(f: Fixture, dir: "send" | "recv", type: number, nth = 0): NlMessage[] {
  const r = splitMessages(findDatagram(f, dir, type, nth));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** Copy of a datagram with every message's seq and pid overwritten (captures carry time-based seqs). */
export function normalise(buf: Uint8Array, seq: number, pid = 0): Uint8Array {
  const out = buf.slice();
  const v = new DataView(out.buffer);
  for (let off = 0; off + NLMSG_HDRLEN <= out.length;) {
    const len = v.getUint32(off, true);
    v.setUint32(off + 8, seq, true);
    v.setUint32(off + 12, pid, true);
    if (len < NLMSG_HDRLEN) break;
    off += (len + 3) & ~3;
  }
  return out;
}
