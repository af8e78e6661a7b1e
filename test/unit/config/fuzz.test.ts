/**
 * Fuzz test for the whole config pipeline: deterministic (seeded) mutations of the upstream samples
 * and of preprocessor-heavy snippets never throw or hang, and always yield a model plus diagnostics
 * that carry a file and a line.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { loadConfig } from "../../../src/config/index.ts";
import { memOptions, nonJsonPaths } from "../../support/config/helpers.ts";
import { seededFloats } from "../../support/random.ts";

const SAMPLES = `${import.meta.dir}/../../../../shared/conformance/upstream-samples`;
const MAIN = "/fuzz/keepalived.conf";

const SNIPPETS = [
  "{",
  "}",
  '"',
  "'",
  "\\",
  "#",
  "!",
  "@main ",
  "@^x ",
  "$A=",
  "${A}",
  "$A ",
  "~SEQ(I,1,3) ",
  "~LST(I,a,b) ",
  "include *.conf",
  "includea nope",
  "-1",
  "0",
  "256",
  "99999999999999999999",
  "0.001",
  "::",
  "1.2.3.4/33",
  "fe80::1%eth0",
  "virtual_ipaddress {",
  "vrrp_instance X {",
  "real_server 1.2.3.4 80 {",
  "HTTP_GET {",
  "url {",
  "\n",
  "\t",
  "\x00",
  "é",
  "${_RANDOM 5 1}",
  "${_HASH}",
  "$B= \\",
  "~SEQx(J,0,0,1) ",
  "weight",
  "reverse",
  "track_script {",
];

function mutate(text: string, rnd: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    const op = rnd();
    if (op < 0.35) s = s.slice(0, pos) + SNIPPETS[Math.floor(rnd() * SNIPPETS.length)]! + s.slice(pos);
    else if (op < 0.6) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 40));
    else if (op < 0.8) {
      const lines = s.split("\n");
      const a = Math.floor(rnd() * lines.length);
      lines.splice(Math.floor(rnd() * lines.length), 0, lines[a]!);
      s = lines.join("\n");
    } else s = s.slice(0, pos) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(pos + 1);
  }
  return s;
}

const samples = fs.readdirSync(SAMPLES).filter((f) => f.startsWith("keepalived.conf.")).sort().map((f) => fs.readFileSync(`${SAMPLES}/${f}`, "utf8"));
samples.push(
  "$X= \\\n vrrp_instance V${N} { \\\n interface eth0 \\\n virtual_router_id ${N} \\\n virtual_ipaddress { \\\n 192.0.2.${N} \\\n } \\\n }\n~SEQ(N,1,5) $X\n",
);

describe("config fuzz", () => {
  test("3000 seeded mutations of the samples load without throwing", () => {
    const rnd = seededFloats(20261125);
    let withDiags = 0;
    for (let i = 0; i < 3000; i++) {
      const base = samples[i % samples.length]!;
      const text = mutate(base, rnd);
      const files = { [MAIN]: text, "/fuzz/a.conf": "router_id inc\n" };
      const r = loadConfig(MAIN, memOptions(files));
      expect(r.config.vrrp).toBeDefined();
      expect([0, 2, 4, 5, 6]).toContain(r.exitCode);
      for (const d of r.diagnostics) {
        expect(typeof d.file).toBe("string");
        expect(Number.isInteger(d.line)).toBe(true);
        expect(d.message.length).toBeGreaterThan(0);
      }
      if (r.diagnostics.length) withDiags++;
      expect(nonJsonPaths(r.config)).toEqual([]);
    }
    expect(withDiags).toBeGreaterThan(1000);
  }, 60_000);
});
