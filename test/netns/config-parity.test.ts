/**
 * Parity with Debian's keepalived 2.2.7 `-t`: for every upstream sample keepalived.conf.*, run
 * `ip netns exec NS keepalived -t -f FILE` in a private namespace holding eth0..eth3 (veth pairs) and
 * our loadConfig with the namespace's interface list, and require the same exit code. Each sample's
 * stderr from both is kept in the failure message so messages can be compared by eye. The corpus in
 * test/fixtures/config/ (configurations from the wild: scripts, fatal errors, lines, warnings) also
 * states keepalived's verdict in its header ("exit N, reported at line L"): both implementations
 * must give that exit code, and both must report at line L.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import { formatDiagnostic, loadConfig } from "../../src/config/index.ts";
import { PARITY_CASES, PARITY_MULTI } from "../support/config/parity-cases.ts";
import { fixtureScripts, readFixture } from "../support/config/parity-fixtures.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const SAMPLES = `${import.meta.dir}/../../../shared/conformance/upstream-samples`;
const NS = `kcf-parity-${process.pid}`;

function run(cmd: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString() + p.stderr.toString() };
}

function must(cmd: string[]): string {
  const r = run(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}): ${r.out}`);
  return r.out;
}

let ifaces: string[] = [];

beforeAll(() => {
  if (!fs.existsSync(KEEPALIVED)) {
    throw new Error(
      `${KEEPALIVED} is missing: install Debian's keepalived package (parity test cannot run without it)`,
    );
  }
  run(["ip", "netns", "del", NS]);
  must(["ip", "netns", "add", NS]);
  must(["ip", "-n", NS, "link", "set", "lo", "up"]);
  must(["ip", "-n", NS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
  must(["ip", "-n", NS, "link", "add", "eth2", "type", "veth", "peer", "name", "eth3"]);
  const out = must(["ip", "-n", NS, "-o", "link", "show"]);
  ifaces = [...out.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]!);
});

let caseDir = "";

afterAll(() => {
  run(["ip", "netns", "del", NS]);
  if (caseDir) fs.rmSync(caseDir, { recursive: true, force: true });
});

/** Run one file through both implementations and compare exit codes. */
function compare(label: string, file: string, rows: string[]): void {
  const ka = run(["ip", "netns", "exec", NS, KEEPALIVED, "-t", "-f", file]);
  const ours = loadConfig(file, {
    configId: os.hostname().split(".")[0] ?? "",
    interfaceExists: (n) => ifaces.includes(n),
  });
  rows.push(`${label.padEnd(44)} keepalived=${ka.code} ours=${ours.exitCode}`);
  const detail = `\n--- keepalived:\n${ka.out}--- ours:\n${ours.diagnostics.map(formatDiagnostic).join("\n")}\n`;
  expect(`${label} exit ${ours.exitCode}${ours.exitCode === ka.code ? "" : detail}`).toBe(
    `${label} exit ${ka.code}`,
  );
}

const samples = fs.readdirSync(SAMPLES).filter((f) => f.startsWith("keepalived.conf.")).sort();
const table: string[] = [];

describe("keepalived -t parity on upstream samples", () => {
  test("the sample set is present", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
  });
  for (const name of samples) {
    test(name, () => compare(name, `${SAMPLES}/${name}`, table));
  }
  test("table", () => {
    console.log(table.join("\n"));
    expect(table.length).toBe(samples.length);
  });
});

const caseTable: string[] = [];

describe("keepalived -t parity on single-rule probes", () => {
  for (const [name, text] of Object.entries(PARITY_CASES)) {
    test(name, () => {
      if (!caseDir) caseDir = fs.mkdtempSync("/tmp/kcf-parity-");
      const file = `${caseDir}/${name.replace(/[^A-Za-z0-9]+/g, "_")}.conf`;
      fs.writeFileSync(file, text);
      compare(name, file, caseTable);
    });
  }
  for (const [name, c] of Object.entries(PARITY_MULTI)) {
    test(name, () => {
      if (!caseDir) caseDir = fs.mkdtempSync("/tmp/kcf-parity-");
      const dir = `${caseDir}/${name.replace(/[^A-Za-z0-9]+/g, "_")}`;
      for (const [rel, text] of Object.entries(c.files)) {
        fs.mkdirSync(`${dir}/${rel}`.replace(/\/[^/]*$/, ""), { recursive: true });
        fs.writeFileSync(`${dir}/${rel}`, text);
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${dir}/keepalived.conf`, c.main);
      compare(name, `${dir}/keepalived.conf`, caseTable);
    });
  }
  test("table", () => {
    console.log(caseTable.join("\n"));
    expect(caseTable.length).toBe(Object.keys(PARITY_CASES).length + Object.keys(PARITY_MULTI).length);
  });
});

const FIXTURES = `${import.meta.dir}/../fixtures/config`;
const fixtureTable: string[] = [];

describe("keepalived -t parity on the configuration corpus", () => {
  const names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".conf")).sort();
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync("/tmp/kcd-corpus-");
    fixtureScripts(`${dir}/scripts`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  test("the corpus is present", () => expect(names.length).toBeGreaterThanOrEqual(40));
  for (const name of names) {
    test(name, () => {
      const fx = readFixture(`${FIXTURES}/${name}`, `${dir}/scripts`);
      const file = `${dir}/${name}`;
      fs.writeFileSync(file, fx.text);
      const ka = run(["ip", "netns", "exec", NS, KEEPALIVED, "-t", "-f", file]);
      const ours = loadConfig(file, { configId: "corpus", interfaceExists: (n) => ifaces.includes(n) });
      fixtureTable.push(`${name.padEnd(44)} keepalived=${ka.code} ours=${ours.exitCode}`);
      const detail = `\n--- keepalived:\n${ka.out}--- ours:\n${ours.diagnostics.map(formatDiagnostic).join("\n")}\n`;
      expect(`${name} keepalived exit ${ka.code}${ka.code === fx.exit ? "" : detail}`).toBe(`${name} keepalived exit ${fx.exit}`);
      expect(`${name} ours exit ${ours.exitCode}${ours.exitCode === fx.exit ? "" : detail}`).toBe(`${name} ours exit ${fx.exit}`);
      if (fx.line === undefined) return;
      const kaLines = [...ka.out.matchAll(/Line (\d+)\)/g)].map((m) => Number(m[1]));
      const ourLines = ours.diagnostics.filter((d) => d.severity !== "info").map((d) => d.line);
      expect(`${name} keepalived line ${kaLines.includes(fx.line) ? fx.line : kaLines.join(",") + detail}`)
        .toBe(`${name} keepalived line ${fx.line}`);
      expect(`${name} our line ${ourLines.includes(fx.line) ? fx.line : ourLines.join(",") + detail}`)
        .toBe(`${name} our line ${fx.line}`);
    });
  }
  test("table", () => {
    console.log(fixtureTable.join("\n"));
    expect(fixtureTable.length).toBe(names.length);
  });
});
