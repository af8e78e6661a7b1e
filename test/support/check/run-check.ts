/**
 * Test helper: runs one checker attempt and prints its CheckResult as JSON. Used through
 * `ip netns exec NS bun run-check.ts KIND JSON` so the client side runs in its namespace.
 * For UDP_CHECK, `payloadHex` / `requireReplyHex` are parsed with parseHexString.
 */
import { makeDnsCheck } from "../../../src/check/checkers/dns.ts";
import { makeHttpCheck } from "../../../src/check/checkers/http.ts";
import { makeSmtpCheck } from "../../../src/check/checkers/smtp.ts";
import { makeTcpCheck } from "../../../src/check/checkers/tcp.ts";
import type { RunCheck } from "../../../src/check/checkers/types.ts";
import { makeUdpCheck, parseHexString } from "../../../src/check/checkers/udp.ts";

const [kind, json] = process.argv.slice(2);
const o = JSON.parse(json ?? "{}");
let run: RunCheck;
switch (kind) {
  case "tcp":
    run = makeTcpCheck(o);
    break;
  case "http":
    run = makeHttpCheck(o);
    break;
  case "smtp":
    run = makeSmtpCheck(o);
    break;
  case "dns":
    run = makeDnsCheck(o);
    break;
  case "udp": {
    const h = (s: string | undefined, wild: boolean) => {
      if (s === undefined) return undefined;
      const r = parseHexString(s, wild);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    };
    const payload = h(o.payloadHex, false)?.bytes;
    const requireReply = o.requireReplyHex === true ? true : h(o.requireReplyHex, true);
    run = makeUdpCheck({ ...o, ...(payload ? { payload } : {}), ...(requireReply ? { requireReply } : {}) });
    break;
  }
  default:
    throw new Error(`unknown checker ${kind}`);
}
const t0 = performance.now();
const r = await run(new AbortController().signal);
console.log(JSON.stringify({ ...r, elapsedMs: Math.round(performance.now() - t0) }));
