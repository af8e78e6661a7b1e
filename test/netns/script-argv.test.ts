/**
 * The argv a tracked vrrp_script receives, keepalived 2.2.7 beside ours (namespaces hvoc-sa*): the same
 * `script "..."` lines, with quotes and backslashes inside the quoted command, run under each daemon;
 * the script writes its arguments NUL-separated to a file, and the files must be the same. This is the
 * live form of the observations recorded in test/core/command-line.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { Netns, waitFor } from "../support/netns.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const dir = mkdtempSync("/tmp/hvoc-sa-");
const spaces: Netns[] = [];
afterAll(async () => {
  for (const ns of spaces) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Arguments after the script path, as written in keepalived.conf inside `script "<path> ..."`. */
const LINES = [
  String.raw`A1 \"a b\" c`,
  String.raw`B2 'x \"y\" z' w`,
  String.raw`C3 \"p \\\"q\\\" r\" s`,
  String.raw`D4 e\ f 'g\h' \"i\j\"`,
  String.raw`E5 \"m\\n\" 'o\\p' q\\r`,
  String.raw`F6 \"t\\\\u\" 'v w'x\"y z\"`,
  String.raw`G7 a\\x41\\x42 \\cA \\101\\0612`,
];

function conf(script: string): string {
  const scripts = LINES.map((l, i) => `vrrp_script s${i} {\n  script "${script} ${l}"\n  interval 60\n}\n`)
    .join("");
  const track = LINES.map((_, i) => `    s${i}\n`).join("");
  return `global_defs {\n  script_user root\n  enable_script_security\n}\n${scripts}vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
  track_script {
${track}  }
}
`;
}

/** Runs `bin` on the configuration in its own namespace; returns each script's argv, by tag. */
async function argvsUnder(tag: string, bin: string): Promise<Map<string, string[]>> {
  const sub = join(dir, tag);
  mkdirSync(sub);
  chmodSync(dir, 0o755);
  const script = join(sub, "argv.sh");
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\0' "$@" > ${sub}/"$1".out\n`, { mode: 0o755 });
  writeFileSync(join(sub, "conf"), conf(script));
  const ns = new Netns(`hvoc-sa-${tag}`);
  spaces.push(ns);
  ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ns.ip("link", "set", "veth0", "up");
  ns.ip("link", "set", "veth1", "up");
  const f = (s: string) => join(sub, s);
  const proc = ns.spawn([
    bin,
    "-n",
    "-l",
    "-f",
    f("conf"),
    "-p",
    f("k.pid"),
    "-r",
    f("v.pid"),
    "-c",
    f("c.pid"),
    "-b",
    f("b.pid"),
  ]);
  const tags = LINES.map((l) => l.slice(0, 2));
  await waitFor(`${tag}: every script ran`, () => tags.every((t) => existsSync(f(`${t}.out`))), 30_000);
  proc.kill("SIGTERM");
  await proc.exited;
  return new Map(tags.map((t) => [t, readFileSync(f(`${t}.out`), "utf8").split("\0").slice(0, -1)]));
}

test("a vrrp_script gets the same argv from ours as from keepalived 2.2.7", async () => {
  const bin = await ensureBinary();
  const theirs = await argvsUnder("ka", KEEPALIVED);
  const ours = await argvsUnder("us", bin);
  // The C3 line is the one the old config splitter got wrong (it kept `\` and ended the quote at `\"`).
  expect(theirs.get("C3")).toEqual(["C3", `p "q" r`, "s"]);
  for (const [t, argv] of theirs) {
    expect(`${t}: ${JSON.stringify(ours.get(t))}`).toBe(`${t}: ${JSON.stringify(argv)}`);
  }
}, 90_000);
