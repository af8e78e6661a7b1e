/**
 * Failover probe, run inside the backup's namespace by bench/vrrp.ts:
 *   bun bench/vrrp-watch.ts SRC VIP ADVERT_MS PID[,PID...]
 * Watches VRRP adverts from SRC (raw IP protocol 112 socket) and address events (rtnetlink
 * RTMGRP_IPV4_IFADDR). After 3 adverts it SIGKILLs the pids (children first, as listed last by the caller)
 * 0.5 × ADVERT_MS after the next advert, then
 * prints one JSON line {"failoverMs": …} when RTM_NEWADDR for VIP arrives. Times are CLOCK_MONOTONIC
 * (process.hrtime), the VIP time is the user-space receive time of the netlink event, as in
 * /work/shared/research/keepalived-2.2.7-baseline.md.
 */
import { readFileSync } from "node:fs";
import { NETLINK_ROUTE, NetlinkSocket } from "../src/ffi/netlink.ts";
import { Reactor } from "../src/ffi/reactor.ts";
import { SOCK_RAW, Socket } from "../src/ffi/socket.ts";
import { parseIpv4Header } from "../src/proto/ipv4.ts";
import { parseAddrMessage } from "../src/proto/rtnl-addr.ts";
import { RTM, RTMGRP } from "../src/proto/rtnl-const.ts";

const [src, vip, advMsText, pidsText] = process.argv.slice(2);
const advMs = Number(advMsText);
const pids = (pidsText ?? "").split(",").map(Number).filter((n) => n > 0);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const reactor = new Reactor();
const raw = new Socket(2, SOCK_RAW, 112);
const nl = new NetlinkSocket(NETLINK_ROUTE, RTMGRP.IPV4_IFADDR, 1 << 20);
let seen = 0;
let killAt = 0;
let killedAt = 0;

function kill(): void {
  while (nowMs() < killAt) { /* spin the last millisecond for a precise phase */ }
  killedAt = nowMs();
  const how: string[] = [];
  // Deepest first: Bun's process.kill can take milliseconds, and a child that outlives its parent by that
  // much stops gracefully and sends priority 0 (a crash of the whole box sends nothing).
  for (const p of [...pids].reverse()) {
    try {
      process.kill(p, "SIGKILL");
      how.push(`${p}:ok@+${(nowMs() - killedAt).toFixed(3)}`);
    } catch (e) {
      how.push(`${p}:${(e as NodeJS.ErrnoException).code}`);
    }
  }
  if (process.env.BENCH_DEBUG) {
    console.error(`killed ${how.join(" ")} at ${killedAt.toFixed(1)}`);
    setTimeout(() => {
      for (const p of pids) {
        let st = "gone";
        try {
          st = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.slice(0, 1);
        } catch { /* gone */ }
        console.error(`  pid ${p} 5 ms later: ${st}`);
      }
    }, 5);
  }
}

reactor.add(raw.fd, () => {
  for (let d = raw.recv(); d; d = raw.recv()) {
    const ip = parseIpv4Header(d.data);
    if (ip.ok && ip.value.header.src === src && killedAt && process.env.BENCH_DEBUG) {
      console.error(`advert after the kill: +${(nowMs() - killedAt).toFixed(1)} ms, priority ${ip.value.payload[2]}`);
    }
    if (!ip.ok || ip.value.header.src !== src || killAt) continue;
    if (++seen < 4) continue;
    killAt = nowMs() + advMs / 2;
    setTimeout(kill, Math.max(0, advMs / 2 - 2));
  }
});
reactor.add(nl.fd, () => {
  for (const m of nl.drain()) {
    if (m.header.type !== RTM.NEWADDR) continue;
    const a = parseAddrMessage(m);
    if (!a.ok || (a.value.local ?? a.value.address) !== vip || !killedAt) continue;
    console.log(JSON.stringify({ failoverMs: nowMs() - killedAt, phaseErrMs: killedAt - killAt }));
    reactor.close();
    process.exit(0);
  }
});
setTimeout(() => {
  console.log(JSON.stringify({ error: `no failover within 30 s (adverts seen: ${seen}, killed: ${killedAt > 0})` }));
  process.exit(1);
}, 30_000);
