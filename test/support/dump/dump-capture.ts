/**
 * Runs a keepalived (Debian's 2.2.7 or ours) on a configuration inside a network namespace with a
 * private /tmp (unshare -m + tmpfs), so that its fixed dump paths (/tmp/keepalived*.data, .stats,
 * .json) collide with nobody; waits for the expected MASTERs, sends USR1, USR2 and the JSON signal,
 * waits for each file, copies them out and stops the daemon. Used by dumps-keepalived.test.ts.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sh } from "../netns.ts";

import { ROOT } from "../binary.ts";
/** The two daemons, as commands. */
export const KEEPALIVED = "/usr/sbin/keepalived";
export const OURS = `${join(ROOT, "node_modules/.bin/bun")} ${join(ROOT, "src/main.ts")}`;

/** What a run left: the dump files by name and the log. */
export interface Capture {
  files: Record<string, string>;
  log: string;
}

/**
 * `dir` must be under /tmp (its top directory there is bind-mounted back over the private /tmp, so a
 * configuration beside it is seen); `masters` is how many
 * "Entering MASTER STATE" lines to wait for; `files` the data files to wait for after USR1.
 */
export function capture(ns: string, daemon: string, conf: string, dir: string, masters: number, files: string[]): Capture {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "out");
  mkdirSync(out, { recursive: true });
  const waitFor = (cond: string, tenths = 200) => `i=0; while ! ( ${cond} ) && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i+1)); done`;
  const k = `$(cat /tmp/run/k.pid)`;
  // The whole /tmp/NAME tree `dir` is in comes back over the private /tmp (configurations live there).
  const top = `/tmp/${dir.split("/")[2]}`;
  const script = [
    `mount --bind ${top} /mnt`,
    "mount -t tmpfs none /tmp",
    `mkdir -p ${top} /tmp/run`,
    `mount --bind /mnt ${top}`,
    `${daemon} -f ${conf} -l -D -n -d -p /tmp/run/k.pid -r /tmp/run/v.pid -c /tmp/run/c.pid -b /tmp/run/b.pid > ${out}/log.txt 2>&1 &`,
    waitFor("[ -s /tmp/run/k.pid ]"),
    waitFor(`[ $(grep -c 'Entering MASTER STATE' ${out}/log.txt) -ge ${masters} ]`),
    "sleep 1.5",
    `kill -USR1 ${k}`,
    ...files.map((f) => waitFor(`[ -s /tmp/${f} ]`, 50)),
    `kill -USR2 ${k}`,
    waitFor("[ -s /tmp/keepalived.stats ]", 50),
    `kill -$(${daemon} --signum=JSON) ${k}`,
    waitFor("[ -s /tmp/keepalived.json ]", 50),
    `cp /tmp/keepalived* ${out}/ 2>/dev/null || true`,
    `p=${k}; kill -TERM $p`,
    waitFor("! kill -0 $p 2>/dev/null", 100),
  ].join("\n");
  sh(["ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private", "sh", "-c", script]);
  const got: Record<string, string> = {};
  for (const f of readdirSync(out)) if (f.startsWith("keepalived")) got[f] = readFileSync(join(out, f), "utf8");
  return { files: got, log: readFileSync(join(out, "log.txt"), "utf8") };
}

/** The `-d` part of a log: from the first Global definitions header, timestamps cut, other log lines left out. */
export function confDumpOf(log: string): string[] {
  const lines = log.split("\n").map((l) => l.replace(/^\w{3} \w{3} [ \d]\d [\d:]{8} \d{4}: /, ""));
  const start = lines.indexOf("------< Global definitions >------");
  return lines.slice(start).filter((l) => /^(------<| )/.test(l));
}
