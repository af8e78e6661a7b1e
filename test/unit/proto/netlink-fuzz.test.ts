import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { collectDump, type NlMessage, parseAttrs, parseNlError, splitMessages } from "../../../src/proto/netlink.ts";
import type { Result } from "../../../src/proto/result.ts";
import { parseFamily } from "../../../src/proto/genl.ts";
import { parseIpvsConfig, parseIpvsDaemon, parseIpvsDest, parseIpvsInfo, parseIpvsService } from "../../../src/proto/ipvs-parse.ts";
import { parseAddrMessage, parseLinkMessage, parseRouteMessage, parseRtnlDatagram, parseRuleMessage } from "../../../src/proto/rtnetlink.ts";
import { fromHex, loadFixture } from "../../support/proto/netlink-fixture.ts";
import { seededFloats } from "../../support/random.ts";

const CAPTURES = [
  "addr-dump-v4",
  "addr-dump-v6",
  "addr-add-exists",
  "link-dump",
  "link-get",
  "route-dump",
  "rule-dump",
  "genl-dump",
  "genl-get-nlctrl",
  "events-link-addr",
  "route-add-multipath",
  "link-add-macvlan-private",
];

function corpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of CAPTURES) for (const d of loadFixture(name).datagrams) out.push(d.bytes);
  const ipvs = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/netlink/ipvs-constructed.json"), "utf8")) as {
    vectors: { hex: string }[];
  };
  for (const v of ipvs.vectors) out.push(fromHex(v.hex));
  return out;
}

const MESSAGE_PARSERS: ((m: NlMessage) => Result<unknown>)[] = [
  parseAddrMessage,
  parseLinkMessage,
  parseRouteMessage,
  parseRuleMessage,
  parseFamily,
  parseNlError,
  parseIpvsService,
  (m) => parseIpvsDest(m),
  parseIpvsDaemon,
  parseIpvsConfig,
  parseIpvsInfo,
];

/** Random damage: byte flips, truncation, extension, and rewritten length fields. */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  let b = src.slice();
  const pick = (n: number) => Math.floor(rnd() * n);
  const rounds = 1 + pick(4);
  for (let i = 0; i < rounds && b.length > 0; i++) {
    switch (pick(5)) {
      case 0:
        b[pick(b.length)] = pick(256);
        break;
      case 1:
        b = b.slice(0, pick(b.length + 1));
        break;
      case 2: {
        const ext = new Uint8Array(b.length + 1 + pick(16));
        ext.set(b);
        for (let j = b.length; j < ext.length; j++) ext[j] = pick(256);
        b = ext;
        break;
      }
      case 3: {
        // corrupt a 16-bit field at a 4-byte boundary: hits nla_len / nlmsg_len most of the time
        const at = pick(Math.max(1, b.length >> 2)) << 2;
        if (at + 1 < b.length) {
          b[at] = pick(256);
          b[at + 1] = pick(4);
        }
        break;
      }
      default: {
        const at = pick(b.length);
        b[at] = b[at]! ^ (1 << pick(8));
      }
    }
  }
  return b;
}

function isResult(r: Result<unknown>): boolean {
  return r.ok === true || (r.ok === false && typeof r.reason === "string" && r.reason.length > 0);
}

describe("seeded fuzz: damaged netlink never throws, always returns a typed result", () => {
  const base = corpus();
  test(`${base.length} seeds x 40 mutations`, () => {
    const rnd = seededFloats(0x6b6e6c);
    let rejected = 0;
    for (const seed of base) {
      for (let i = 0; i < 40; i++) {
        const b = mutate(seed, rnd);
        const split = splitMessages(b);
        expect(isResult(split)).toBe(true);
        expect(isResult(collectDump(b))).toBe(true);
        expect(isResult(parseRtnlDatagram(b))).toBe(true);
        expect(isResult(parseAttrs(b))).toBe(true);
        if (!split.ok) {
          rejected++;
          continue;
        }
        for (const m of split.value) for (const p of MESSAGE_PARSERS) expect(isResult(p(m))).toBe(true);
      }
    }
    expect(rejected).toBeGreaterThan(0); // the mutations do reach the error paths
  });
  test("random bytes", () => {
    const rnd = seededFloats(12345);
    for (let i = 0; i < 500; i++) {
      const b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
      if (b.length >= 4) new DataView(b.buffer).setUint32(0, b.length, true); // plausible nlmsg_len
      const split = splitMessages(b);
      expect(isResult(split)).toBe(true);
      if (split.ok) { for (const m of split.value) for (const p of MESSAGE_PARSERS) expect(isResult(p(m))).toBe(true); }
    }
  });
});
