/**
 * IPv4 / IPv6 address and prefix parsing for config values (RFC 4291 §2.2 text forms, RFC 5952
 * canonical output for IPv6). Pure; returns undefined on bad input.
 */
import type { Family } from "./model.ts";

/** A parsed address in canonical text form. */
export interface ParsedIp {
  readonly family: Family;
  readonly text: string;
  readonly bytes: readonly number[];
}

/** Parse dotted-quad IPv4. */
export function parseIpv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parse IPv6 (with optional embedded IPv4 tail) into 16 bytes. */
export function parseIpv6(s: string): number[] | undefined {
  if (s.includes("%")) s = s.slice(0, s.indexOf("%"));
  const dbl = s.split("::");
  if (dbl.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes(".")) {
        const v4 = parseIpv4(it);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
        out.push(Number.parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(dbl[0]!);
  const tail = dbl.length === 2 ? groups(dbl[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (dbl.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** RFC 5952 text of 16 bytes. */
export function formatIpv6(b: readonly number[]): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Parse an IPv4 or IPv6 address. */
export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIpv4(s);
  if (v4) return { family: "inet", text: v4.join("."), bytes: v4 };
  if (!s.includes(":")) return undefined;
  const v6 = parseIpv6(s);
  return v6 ? { family: "inet6", text: formatIpv6(v6), bytes: v6 } : undefined;
}

/** Parse "ADDR[/LEN]"; the prefix length defaults to the full width. */
export function parsePrefix(s: string): { ip: ParsedIp; len: number } | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === "inet" ? 32 : 128;
  if (slash < 0) return { ip, len: max };
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  return len > max ? undefined : { ip, len };
}

/** The "default" keyword or a prefix, as a canonical "ADDR/LEN" string. */
export function parseRouteDest(
  s: string,
  family: Family | null,
): { family: Family; text: string } | undefined {
  if (s === "default" || s === "any" || s === "all") {
    const f = family ?? "inet";
    return { family: f, text: f === "inet" ? "0.0.0.0/0" : "::/0" };
  }
  const p = parsePrefix(s);
  return p ? { family: p.ip.family, text: `${p.ip.text}/${p.len}` } : undefined;
}

/** Parse a MAC address "aa:bb:cc:dd:ee:ff". */
export function parseMac(s: string): string | undefined {
  return /^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(s)
    ? s.split(":").map((x) => x.padStart(2, "0").toLowerCase()).join(":")
    : undefined;
}

/** Parse a port number 0..65535. */
export function parsePort(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}
