/**
 * Tests for src/config/read.ts and the caps in preprocess.ts / sequence.ts: non-regular files are refused
 * as keepalived refuses them (real files under /tmp/krl-read-*), and every cap's error names the cap.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.ts";
import { CAPS, readConfigFile } from "../../../src/config/read.ts";
import { diagLines, loadText } from "../../support/config/helpers.ts";

const dir = mkdtempSync("/tmp/krl-read-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VI = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/24\n  }\n}\n`;
const real = (path: string, allConfig = false) => loadConfig(path, { configId: "x", interfaceExists: (n) => n === "eth0", allConfig, randomSeed: 1 });

describe("readConfigFile", () => {
  test("a regular file is read; a missing one is undefined", () => {
    writeFileSync(join(dir, "ok.conf"), VI);
    expect(readConfigFile(join(dir, "ok.conf"))).toBe(VI);
    expect(readConfigFile(join(dir, "none.conf"))).toBeUndefined();
  });

  test("/dev/zero, a FIFO, a directory and an executable file are refused without being read", () => {
    const fifo = join(dir, "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    const exe = join(dir, "exe.conf");
    writeFileSync(exe, VI);
    chmodSync(exe, 0o744);
    expect(readConfigFile("/dev/zero")).toEqual({ refused: "configuration file '/dev/zero' is not a regular non-executable file" });
    expect(readConfigFile(fifo)).toEqual({ refused: `configuration file '${fifo}' is not a regular non-executable file` });
    expect(readConfigFile(exe)).toEqual({ refused: `configuration file '${exe}' is not a regular non-executable file` });
    expect(readConfigFile(dir)).toEqual({ refused: `configuration file '${dir}' is a directory` });
  });

  test("a file holding a NUL byte is refused as binary", () => {
    writeFileSync(join(dir, "bin.conf"), "global_defs {\n\0}\n");
    expect(readConfigFile(join(dir, "bin.conf"))).toEqual({
      refused: `configuration file '${join(dir, "bin.conf")}' holds a NUL byte at offset 14; it is not a text file`,
    });
  });

  test("a file over the size cap is refused naming the cap", () => {
    writeFileSync(join(dir, "big.conf"), "x".repeat(101));
    expect(readConfigFile(join(dir, "big.conf"), 100)).toEqual({
      refused: `configuration file '${join(dir, "big.conf")}' is larger than the 100 byte cap (101 bytes)`,
    });
  });

  test("-f /dev/zero is fatal; include /dev/zero is skipped with a notice, or under -e is 'missing' (exit 6)", () => {
    expect(diagLines(real("/dev/zero"))).toEqual(["0: fatal: configuration file '/dev/zero' is not a regular non-executable file"]);
    writeFileSync(join(dir, "inc.conf"), `include /dev/zero\ninclude ${dir}/gone.conf\n${VI}`);
    const r = real(join(dir, "inc.conf"));
    expect(diagLines(r)).toEqual([
      "1: notice: include configuration file '/dev/zero' is not a regular non-executable file; skipped",
      `2: notice: configuration file '${dir}/gone.conf' is missing`,
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.config.vrrp.instances.map((i) => i.name)).toEqual(["VI_1"]);
    const e = real(join(dir, "inc.conf"), true);
    expect(e.diagnostics.map((d) => d.severity)).toEqual(["missing", "missing"]);
    expect(e.exitCode).toBe(6);
  });

  test("the main file as the caller read it (the parent's pre-scan) is the parse's first read of it; includes are read", () => {
    const main = join(dir, "main.conf");
    writeFileSync(main, "vrrp_instance VI_DISK {\n}\n"); // what the disk holds now is not read again
    writeFileSync(join(dir, "more.conf"), VI);
    const seen: string[] = [];
    const r = loadConfig(main, {
      configId: "x",
      interfaceExists: (n) => n === "eth0",
      randomSeed: 1,
      main: `include ${dir}/more.conf\n`,
      onRead: (p) => void seen.push(p),
    });
    expect(diagLines(r)).toEqual([]);
    expect(r.config.vrrp.instances.map((i) => i.name)).toEqual(["VI_1"]);
    expect(seen).toEqual([main, join(dir, "more.conf")]);
    const refused = loadConfig(main, { configId: "x", main: { refused: "configuration file 'x' is a directory" } });
    expect(diagLines(refused)).toEqual(["0: fatal: configuration file 'x' is a directory"]);
  });
});

describe("caps", () => {
  test("a line over the line cap (a 10 MB router_id) is dropped with an error naming the cap", () => {
    const r = loadText(`global_defs {\n  router_id ${"R".repeat(10 * 1024 * 1024)}\n}\n${VI}`);
    expect(diagLines(r)).toEqual([`2: error: line is longer than the ${CAPS.lineChars} character cap (${10 * 1024 * 1024 + 12}); line dropped`]);
    expect(r.config.global.routerId ?? "").not.toContain("RRRR");
  });

  test("~SEQ over its cap names the cap", () => {
    const r = loadText(`~SEQ(i, 1, 100000000) vrrp_garp_interval $i\n${VI}`);
    expect(diagLines(r)).toEqual([`1: error: ~SEQ(i,1,100000000) gives more than ${CAPS.seqValues} values (the ~SEQ cap); line dropped`]);
  });

  test("a $ expansion that grows past the cap names the cap", () => {
    const defs = Array.from({ length: 40 }, (_, i) => `$D${i + 1}=$D${i} $D${i}`).join("\n");
    const r = loadText(`$D0=${"x".repeat(10_000)}\n${defs}\nglobal_defs {\n  router_id $D40\n}\n`);
    expect(diagLines(r)[0]).toMatch(new RegExp(`^43: error: '\\$D\\d+' expands the line beyond the ${CAPS.expandedLine} character cap; line dropped$`));
  });

  test("too many substitutions in one line names the cap", () => {
    const r = loadText(`$A=$A x\nglobal_defs {\n  router_id $A\n}\n`);
    expect(diagLines(r)[0]).toMatch(new RegExp(`more than ${CAPS.substitutions} substitutions in one line \\(the substitution cap\\)|expands the line beyond`));
  });

  test("a file that includes itself twice stops at the include cap or the depth cap, fatal", () => {
    const r = loadText(`include /etc/keepalived/keepalived.conf\ninclude /etc/keepalived/keepalived.conf\n${VI}`);
    expect(r.exitCode).toBe(4);
    expect(r.diagnostics.filter((d) => d.severity === "fatal").map((d) => d.message)[0]).toMatch(
      /more than \d+ configuration files read \(the include cap\)|include nesting deeper than 32 \(the include depth cap\)/,
    );
    expect(r.diagnostics.filter((d) => d.severity === "fatal")).toHaveLength(1);
  });

  test("nested ~SEQ blocks that emit nothing still stop at the iteration cap, fatal", () => {
    const r = loadText(`~SEQ(a, 1, 1000000) ~SEQ(b, 1, 1000000) @other x\n${VI}`);
    expect(diagLines(r)).toEqual([`1: fatal: more than ${CAPS.seqIterations} ~SEQ/~LST iterations in one configuration (the ~SEQ cap)`]);
  }, 30_000);
});
