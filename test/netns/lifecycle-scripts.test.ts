/**
 * `startup_script` / `shutdown_script` with their timeouts, beside Debian's keepalived 2.2.7 (prefix
 * kcd-): each daemon runs in its own namespace with a startup script that records its arguments and
 * then sleeps past `startup_script_timeout`, and a shutdown script that records its run. Both must run
 * the startup script once before the VRRP child (and not again on a reload), kill it at the timeout
 * and go on, and run the shutdown script once when stopped; the log lines must be keepalived's.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const id = process.pid % 10000;
const dir = mkdtempSync("/tmp/kcd-ls-");
const spaces: Netns[] = [];
afterAll(async () => {
  for (const ns of spaces.reverse()) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const read = (p: string): string => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
};

function conf(tag: string): string {
  return `global_defs {
  router_id kcd_ls
  enable_script_security
  script_user root
  startup_script "${dir}/record.sh ${dir}/${tag}.runs start slow"
  startup_script_timeout 1
  shutdown_script "${dir}/record.sh ${dir}/${tag}.runs stop"
  shutdown_script_timeout 5
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 91
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
}

describe("startup_script / shutdown_script beside keepalived 2.2.7", () => {
  test("each runs once, with its timeout, and logs keepalived's lines", async () => {
    const bin = await ensureBinary();
    writeFileSync(
      join(dir, "record.sh"),
      `#!/bin/sh\nout="$1"; shift\necho "$*" >> "$out"\n[ "$2" = slow ] && exec sleep 30\nexit 0\n`,
      { mode: 0o755 },
    );
    const logs: Record<string, string> = {};
    for (const [tag, b] of [["ka", KEEPALIVED], ["us", bin]] as const) {
      const ns = loneRouter(`kcd-ls${tag}${id}`);
      spaces.push(ns);
      writeFileSync(join(dir, `${tag}.conf`), conf(tag));
      const f = (s: string) => join(dir, `${tag}-${s}`);
      const p: Subprocess = ns.spawn(
        [b, "-n", "-l", "-D", "-f", join(dir, `${tag}.conf`), "-p", f("k"), "-r", f("v"), "-c", f("c"), "-b", f("b")],
        { stdout: "pipe", stderr: "pipe" },
      );
      const out = Bun.file(f("log")).writer();
      for (const s of [p.stdout, p.stderr] as ReadableStream<Uint8Array>[]) {
        const r = s.getReader();
        void (async () => {
          for (;;) {
            const { done, value } = await r.read();
            if (done) break;
            out.write(value);
            out.flush();
          }
        })();
      }
      const log = () => read(f("log"));
      await waitFor(`${tag} VRRP child up`, () => /Entering BACKUP STATE/.test(log()), 30_000);
      if (tag === "us") {
        p.kill("SIGHUP");
        await waitFor("ours reloaded", () => /configuration reloaded|Reloading configuration/i.test(log()), 10_000);
        await Bun.sleep(1000);
      }
      p.kill("SIGTERM");
      await p.exited;
      logs[tag] = log();
    }
    for (const tag of ["ka", "us"]) {
      expect(`${tag}: ${read(join(dir, `${tag}.runs`))}`).toBe(`${tag}: start slow\nstop\n`);
      const l = logs[tag]!;
      expect(l).toMatch(new RegExp(`Running startup script ${dir}/record.sh`));
      expect(l).toMatch(/startup script timed out/);
      expect(l).toMatch(/shutdown script script succeeded/);
      // The startup script is waited for before the VRRP child starts.
      expect(l.indexOf("startup script timed out")).toBeLessThan(l.search(/Entering BACKUP STATE/));
    }
  }, 120_000);
});
