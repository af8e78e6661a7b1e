/**
 * Memory over time (issue 12, 100 instances against 1): starts BIN with N VRRP instances
 * (bench/footprint.ts's configuration and namespace), and from the moment the VIPs are up samples every
 * second, for SECONDS, the VRRP child's and the parent's smaps_rollup (RSS, PSS, anonymous, file-backed =
 * RSS - anonymous) and, from /proc/PID/smaps, the RSS of the executable's `.text` (its r-xp mapping) and
 * of the JIT's rwx mapping. With COMPILES=1 the daemon runs with BUN_JSC_reportCompileTimes=1 and each
 * line counts the DFG / FTL compilations of the whole tree logged so far (its stderr), so the JIT's settling can be read
 * beside the page drops of src/ffi/resident.ts (5 s after a process starts, then every 60 s).
 * `bun bench/footprint-time.ts BIN N SECONDS [advert]`; prints one line per second and a summary.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../test/support/netns.ts";
import { processTree } from "./lib.ts";
import { startDaemon, stopDaemon, vrrpConf } from "./footprint.ts";
import { parseSmapsRollup } from "./footprint-lib.ts";
import { mappingKinds } from "./footprint-where.ts";

interface Sample {
  t: number;
  rss: number;
  pss: number;
  anon: number;
  text: number;
  jit: number;
}

function sample(pid: number, t: number): Sample | undefined {
  try {
    const m = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    const kinds = mappingKinds(readFileSync(`/proc/${pid}/smaps`, "utf8"));
    const text = Object.entries(kinds).filter(([k]) => k.endsWith(" r-xp") && !k.startsWith("jit") && !k.includes(".so")).reduce((a, [, v]) => a + v.rss, 0);
    const jit = Object.entries(kinds).filter(([k]) => k.startsWith("jit")).reduce((a, [, v]) => a + v.rss, 0);
    return { t, rss: m.rss, pss: m.pss, anon: m.anon, text, jit };
  } catch {
    return undefined;
  }
}

function compiles(log: string): { dfg: number; ftl: number } {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch { /* not yet */ }
  return { dfg: (text.match(/using DFG /g) ?? []).length, ftl: (text.match(/using FTL/g) ?? []).length };
}

const f = (k: number) => (k / 1024).toFixed(1);

if (import.meta.main) {
  const [bin, nArg, secArg, advert] = process.argv.slice(2);
  const n = Number(nArg ?? 1), secs = Number(secArg ?? 180);
  const withCompiles = process.env.COMPILES === "1";
  const env = withCompiles ? { ...process.env, BUN_JSC_reportCompileTimes: "1" } as Record<string, string> : undefined;
  const r = await startDaemon({ name: "ours", bin: bin! }, vrrpConf(n, advert ?? (n > 1 ? "0.1" : "1")), `t${n}`, "-G", env);
  try {
    await waitFor(`${n} VIPs`, () => r.vips() >= n, 60_000, 100);
    const up = performance.now();
    const all = processTree(r.proc.pid);
    const role = (pid: number) => (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").find((a) => a.startsWith("--role=")) ?? "--role=parent").slice(7);
    const child = all.find((p) => role(p) === "vrrp")!, parent = all.find((p) => role(p) === "parent")!;
    const start = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]) / 100; // clock ticks
    const minflt = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[7]);
    const uptime = () => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    console.log(
      `# ${n} instances; VIPs up at child age ${(uptime() - start(child)).toFixed(1)} s; columns: s since VIPs, child age s, ` +
        `VRRP child RSS / PSS / anon / file / .text / jit MiB, parent RSS / PSS / anon MiB, child minor faults${
          withCompiles ? ", DFG / FTL compilations" : ""
        }`,
    );
    const rows: Sample[] = [];
    for (let i = 0; i <= secs; i++) {
      const t = (performance.now() - up) / 1000;
      const c = sample(child, t), p = sample(parent, t);
      if (!c || !p) break;
      rows.push(c);
      const comp = withCompiles ? compiles(join(r.dir, "log")) : undefined;
      console.log(
        `${t.toFixed(0)} ${(uptime() - start(child)).toFixed(0)} ${f(c.rss)} ${f(c.pss)} ${f(c.anon)} ${f(c.rss - c.anon)} ${f(c.text)} ${f(c.jit)}  ${
          f(p.rss)
        } ${f(p.pss)} ${f(p.anon)} ${minflt(child)}${comp ? `  ${comp.dfg} ${comp.ftl}` : ""}`,
      );
      await Bun.sleep(Math.max(0, up + (i + 1) * 1000 - performance.now()));
    }
  } finally {
    await stopDaemon(r);
  }
  process.exit(0);
}
