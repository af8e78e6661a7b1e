/**
 * IPv4 / IPv6 address and prefix parsing for config values (RFC 4291 §2.2 text forms, RFC 5952
 * canonical output for IPv6). Pure; returns undefined on bad input.
 */
import type { Family } from "./model.ts";
import { formatIp, parseIPv4, parseIPv6 } from "../core/inet.ts";

/** keepalived.conf's family words (`ip_family`, a rule's `inet6`, a fwmark group entry) in the model's spelling. */
export const CONF_FAMILY = { inet: "ipv4", inet6: "ipv6" } as const satisfies Record<string, Family>;

/** A parsed address in canonical text form. */
export interface ParsedIp {
  readonly family: Family;
  readonly text: string;
  readonly bytes: readonly number[];
}

/** Parse dotted-quad IPv4. */
export function parseIpv4(s: string): number[] | undefined {
  const b = parseIPv4(s);
  return b ? Array.from(b) : undefined;
}

/** Parse IPv6 (with optional embedded IPv4 tail, scope suffix dropped) into 16 bytes. */
export function parseIpv6(s: string): number[] | undefined {
  const b = parseIPv6(s);
  return b ? Array.from(b) : undefined;
}

/** RFC 5952 text of 16 bytes. */
export function formatIpv6(b: readonly number[]): string {
  return formatIp(Uint8Array.from(b));
}

/** Parse an IPv4 or IPv6 address. */
export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIpv4(s);
  if (v4) return { family: "ipv4", text: v4.join("."), bytes: v4 };
  if (!s.includes(":")) return undefined;
  const v6 = parseIpv6(s);
  return v6 ? { family: "ipv6", text: formatIpv6(v6), bytes: v6 } : undefined;
}

/** Parse "ADDR[/LEN]"; the prefix length defaults to the full width. */
export function parsePrefix(s: string): { ip: ParsedIp; len: number } | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === "ipv4" ? 32 : 128;
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
    const f = family ?? "ipv4";
    return { family: f, text: f === "ipv4" ? "0.0.0.0/0" : "::/0" };
  }
  const p = parsePrefix(s);
  return p ? { family: p.ip.family, text: `${p.ip.text}/${p.len}` } : undefined;
}

/** Parse a MAC address "aa:bb:cc:dd:ee:ff". */
export function parseMac(s: string): string | undefined {
  return /^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(s) ? s.split(":").map((x) => x.padStart(2, "0").toLowerCase()).join(":") : undefined;
}

/** Parse a port number 0..65535. */
export function parsePort(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}
