/**
 * What one SIGHUP does to a running MASTER, Debian's keepalived 2.2.7 and ours in the same run
 * (test/support/reload-scenario.ts: subject in A at priority 150, keepalived 2.2.7 witness in B at 100,
 * VIPs polled every ~10 ms). For each file the subject is reloaded with, in a fresh pair of namespaces:
 * how long the subject's VIP was missing in the 3 s after the HUP, whether the witness became MASTER,
 * whether the subject was still running, and whether a stray instance's VIP appeared.
 * `--bin=PATH` picks our binary (default dist/keepalived); `--skip=a,b` leaves cases out by name
 * (an old build that reads /dev/zero forever must not be given it).
 */
import { ensureBinary } from "../test/support/binary.ts";
import { BROKEN_CASES, type ReloadCase, ReloadScenario, subjectConf, VALID_CASES } from "../test/support/reload-scenario.ts";
import { impls } from "./lib.ts";

const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const skip = new Set((arg("skip") ?? "").split(",").filter(Boolean));
const GLOBAL_ONLY: ReloadCase = { name: "global_defs only", valid: true, prepare: (s) => s.file("global.conf", "global_defs {\n  router_id krl_a\n}\n") };
const cases = [...VALID_CASES.slice(1), ...BROKEN_CASES, GLOBAL_ONLY].filter((c) => !skip.has(c.name));

async function one(bin: string, c: ReloadCase, n: number): Promise<string[]> {
  const s = new ReloadScenario(`h${process.pid % 1000}${n}`);
  try {
    await s.start(bin, s.file("first.conf", subjectConf()));
    await Bun.sleep(1000);
    const t = s.now();
    const before = s.witnessTransitions().filter((x) => x === "MASTER").length;
    s.point(c.prepare(s));
    s.hup();
    await Bun.sleep(3000);
    const stray = s.a.ip("-4", "-o", "addr", "show", "dev", "veth0").includes("192.0.2.103/");
    const master = s.witnessTransitions().filter((x) => x === "MASTER").length > before;
    return [c.name, `${Math.round(s.absentMs(t))}`, master ? "yes" : "no", s.subjectAlive() ? "yes" : "no", stray ? "yes" : "no"];
  } finally {
    await s.destroy();
  }
}

const ours = arg("bin") ?? (await ensureBinary());
const head = ["case", "VIP absent ms", "witness MASTER", "subject alive", "stray VIP"];
for (const impl of impls(ours)) {
  console.log(`\n${impl.name} (${impl.bin})`);
  console.log(head.join(" | "));
  let n = 0;
  for (const c of cases) console.log((await one(impl.bin, c, n++)).join(" | "));
}
