/**
 * Reading bench/vrrp.ts's advert capture. The capture is `tcpdump -tt` on B's end of the veth pair: each
 * line's time is the kernel's receive timestamp of the packet (AF_PACKET; for a veth it is taken when A's
 * send hands the datagram over, netdev_tstamp_prequeue), not the time tcpdump read it, so a late tcpdump
 * does not show up as a late sender. What a late tcpdump can do is lose packets (its ring overflows): a
 * lost advert would read as one interval of twice advert_int, so the drops tcpdump reports at exit are
 * counted and the run says so.
 */

/** Intervals between consecutive adverts of each VRID from 192.0.2.1 in `tcpdump -tt -n` output, ms. */
export function advertIntervals(text: string): number[] {
  const last = new Map<string, number>();
  const out: number[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+\.\d+) IP 192\.0\.2\.1 > 224\.0\.0\.18: VRRPv\d, Advertisement, vrid (\d+)/.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1000;
    const prev = last.get(m[2]!);
    if (prev !== undefined) out.push(t - prev);
    last.set(m[2]!, t);
  }
  return out;
}

/** Packets tcpdump's summary (its stderr at exit) says were dropped: by the kernel plus by the interface; undefined without a summary. */
export function captureDrops(stderr: string): number | undefined {
  const k = /(\d+) packets? dropped by kernel/.exec(stderr);
  if (!k) return undefined;
  const i = /(\d+) packets? dropped by interface/.exec(stderr);
  return Number(k[1]) + Number(i?.[1] ?? 0);
}
