import { expect, test } from "bun:test";
import { parseVrrp } from "../../../src/proto/vrrp.ts";
import { parseAhPacket } from "../../../src/proto/ah.ts";
import { parseIpv4Header } from "../../../src/proto/ipv4.ts";
import { parseArpFrame } from "../../../src/proto/arp.ts";
import { parseNaFrame } from "../../../src/proto/ndisc.ts";
import { framesOf, loadFixture } from "../../support/proto/vrrp-fixtures.ts";
import { seededFloats } from "../../support/random.ts";

const seeds = [
  ...framesOf(loadFixture("v2-pass"), "vrrp4").map((f) => f.subarray(14)),
  ...framesOf(loadFixture("v2-ah"), "ah").map((f) => f.subarray(14)),
  ...framesOf(loadFixture("v3-ipv6"), "vrrp6"),
];

function inputs(rand: () => number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      out.push(Uint8Array.from({ length: Math.floor(rand() * 100) }, () => Math.floor(rand() * 256)));
    } else {
      const m = seeds[i % seeds.length]!.slice(0, Math.floor(rand() * 90));
      for (let k = 0; k < 3 && m.length; k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      out.push(m);
    }
  }
  return out;
}

test("random and mutated bytes never make a parser throw", () => {
  const rand = seededFloats(0x5eed);
  for (const b of inputs(rand, 4000)) {
    const ttl = Math.floor(rand() * 256);
    for (const family of ["ipv4", "ipv6"] as const) {
      for (const version of [2, 3] as const) {
        const r = parseVrrp(b, {
          family,
          version,
          ttl: ttl | 0xf0,
          src: family === "ipv4" ? "192.0.2.1" : "fe80::1",
          dst: family === "ipv4" ? "224.0.0.18" : "ff02::12",
          auth: { type: "pass", password: "secret1" },
        });
        if (!r.ok) expect(typeof r.reason).toBe("string");
      }
    }
    expect(typeof parseAhPacket(b, "secret1").ok).toBe("boolean");
    expect(typeof parseIpv4Header(b).ok).toBe("boolean");
    expect(typeof parseArpFrame(b).ok).toBe("boolean");
    expect(typeof parseNaFrame(b).ok).toBe("boolean");
  }
});
