/**
 * Gratuitous ARP (RFC 5227 §3 "ARP Announcement", RFC 826 packet format, RFC 5798 §6.4.2 / RFC 3768
 * §6.4.2 "broadcast a gratuitous ARP request containing the virtual router MAC address for each IP
 * address"), as keepalived 2.2.7 sends it on an AF_PACKET socket (checked against captures):
 * Ethernet dst ff:ff:ff:ff:ff:ff, ARP request, sender = target = VIP, target hardware ff:ff:ff:ff:ff:ff.
 * MAC addresses are "aa:bb:cc:dd:ee:ff" strings. Pure: parseArpFrame never throws on wire input.
 */
import { bytesToIpv4, ipv4Bytes } from "./ipv4.ts";
import type { Result } from "./result.ts";

/** Ethertype of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** Ethernet broadcast address. */
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
/** ARP opcode: request (RFC 826); gratuitous ARP uses it. */
export const ARP_REQUEST = 1;
/** ARP opcode: reply (RFC 826). */
export const ARP_REPLY = 2;

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes, or undefined when malformed. */
export function macToBytes(mac: string): Uint8Array | undefined {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes at `offset` as a lower-case colon-separated MAC address. */
export function bytesToMac(b: Uint8Array, offset = 0): string {
  return Array.from(b.subarray(offset, offset + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}

function macBytes(mac: string): Uint8Array {
  const b = macToBytes(mac);
  if (!b) throw new Error(`invalid MAC address "${mac}"`);
  return b;
}

/** Builds the 42-byte Ethernet frame of a gratuitous ARP request announcing `vip` at `mac`. */
export function encodeGratuitousArp(mac: string, vip: string): Uint8Array {
  const f = new Uint8Array(42);
  const v = new DataView(f.buffer);
  const m = macBytes(mac);
  const ip = ipv4Bytes(vip);
  f.set(macBytes(BROADCAST_MAC), 0);
  f.set(m, 6);
  v.setUint16(12, ETHERTYPE_ARP);
  v.setUint16(14, 1); // hardware type Ethernet
  v.setUint16(16, 0x0800); // protocol type IPv4
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, ARP_REQUEST);
  f.set(m, 22); // sender hardware address
  f.set(ip, 28); // sender protocol address
  f.set(macBytes(BROADCAST_MAC), 32); // target hardware address
  f.set(ip, 38); // target protocol address
  return f;
}

/** A decoded Ethernet/ARP frame (IPv4 over Ethernet only). */
export interface ArpFrame {
  ethDst: string;
  ethSrc: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Decodes an Ethernet frame carrying an IPv4-over-Ethernet ARP packet. */
export function parseArpFrame(f: Uint8Array): Result<ArpFrame> {
  if (f.length < 42) return { ok: false, reason: `arp frame truncated: ${f.length} < 42 bytes` };
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_ARP) {
    return { ok: false, reason: `ethertype 0x${v.getUint16(12).toString(16)} != 0x806` };
  }
  if (v.getUint16(14) !== 1 || v.getUint16(16) !== 0x0800 || f[18] !== 6 || f[19] !== 4) {
    return { ok: false, reason: "arp is not IPv4 over Ethernet" };
  }
  return {
    ok: true,
    value: {
      ethDst: bytesToMac(f, 0),
      ethSrc: bytesToMac(f, 6),
      op: v.getUint16(20),
      senderMac: bytesToMac(f, 22),
      senderIp: bytesToIpv4(f, 28),
      targetMac: bytesToMac(f, 32),
      targetIp: bytesToIpv4(f, 38),
    },
  };
}
