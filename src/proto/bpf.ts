/**
 * Classic BPF socket filters (the kernel's `struct sock_filter` programs, filter.h): built here as
 * bytes, attached with SO_ATTACH_FILTER (src/ffi/socket.ts). Only what the VRRP child and PING_CHECK need.
 */

/** One instruction: struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }. */
interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Instruction classes, sizes, modes and operations (linux/bpf_common.h, linux/filter.h).
const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_JMP = 0x05, BPF_RET = 0x06;
const BPF_H = 0x08, BPF_B = 0x10, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MSH = 0xa0, BPF_JEQ = 0x10, BPF_K = 0x00;

/** The program as the kernel reads it: 8 bytes per instruction, host (little-endian) order. */
export function encodeFilter(prog: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(prog.length * 8));
  const v = new DataView(out.buffer);
  prog.forEach((x, i) => {
    v.setUint16(i * 8, x.code, true);
    v.setUint8(i * 8 + 2, x.jt);
    v.setUint8(i * 8 + 3, x.jf);
    v.setUint32(i * 8 + 4, x.k >>> 0, true);
  });
  return out;
}

/**
 * Accepts only VRRP adverts with priority 0 (a master giving up: RFC 5798 §6.4.2, the Backup takes over
 * after Skew_Time). An IPv4 raw socket's filter sees the IP header first (the VRRP header follows its
 * 4 × IHL bytes); an IPv6 raw socket's sees the VRRP header. The priority is the VRRP header's third byte.
 */
export function priorityZeroFilter(family: "ipv4" | "ipv6"): Uint8Array {
  const load: Insn[] = family === "ipv4"
    ? [{ code: BPF_LDX | BPF_B | BPF_MSH, jt: 0, jf: 0, k: 0 }, { code: BPF_LD | BPF_B | BPF_IND, jt: 0, jf: 0, k: 2 }]
    : [{ code: BPF_LD | BPF_B | BPF_ABS, jt: 0, jf: 0, k: 2 }];
  return encodeFilter([
    ...load,
    { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 0, jf: 1, k: 0 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0xffff }, // accept (up to 65535 bytes)
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 }, // drop
  ]);
}

/**
 * For one PING_CHECK's raw ICMP / ICMPv6 socket, which the kernel gives every ICMP message the host
 * receives: accepts echo replies with our identifier and every destination unreachable and time exceeded
 * (rare; the checker matches the request they quote), drops the rest (other pings' replies, echo
 * requests). The type is the ICMP header's first byte, the identifier its bytes 4-5 (RFC 792, RFC 4443);
 * an IPv4 raw socket's filter sees the IP header first.
 */
export function echoFilter(family: "ipv4" | "ipv6", id: number): Uint8Array {
  const [reply, unreachable, exceeded] = family === "ipv4" ? [0, 3, 11] : [129, 1, 3];
  const v4 = family === "ipv4";
  const jeq = (k: number, jt: number, jf: number): Insn => ({ code: BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k });
  return encodeFilter([
    ...(v4 ? [{ code: BPF_LDX | BPF_B | BPF_MSH, jt: 0, jf: 0, k: 0 }] : []),
    { code: BPF_LD | BPF_B | (v4 ? BPF_IND : BPF_ABS), jt: 0, jf: 0, k: 0 }, // type
    jeq(reply, 2, 0),
    jeq(unreachable, 4, 0),
    jeq(exceeded, 3, 2),
    { code: BPF_LD | BPF_H | (v4 ? BPF_IND : BPF_ABS), jt: 0, jf: 0, k: 4 }, // identifier (network order, as loaded)
    jeq(id & 0xffff, 1, 0),
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 }, // drop
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0xffff }, // accept (up to 65535 bytes)
  ]);
}
