/**
 * Two builds of ours alternated in one sitting, idle memory only: `bun bench/footprint-ab.ts BIN_A BIN_B [rounds]`.
 * Each round measures A then B for 1 instance at advert_int 1 and 100 instances at
 * 0.1 s (bench/footprint.ts idleTree: fresh namespace, 8 s past the VIPs), and prints every trial and the
 * medians: the tree's RSS / PSS / anonymous and the VRRP child's RSS / anonymous, MiB. The file-backed part
 * moves with the host's page cache; alternating keeps both builds under the same conditions. With
 * BENCH_STEADY_S (e.g. 60) each trial also gives the steady reading (bench/footprint.ts idleTree). Then the
 * floor of two (idle compiled Bun programs, bench/footprint.ts floor), `rounds` times. With
 * `BENCH_AB_FULL=1` it measures the full tree instead (1 instance + 1 virtual server + 1 bfd_instance,
 * bench/footprint.ts FULL_EXTRA; four processes), the check child as "child", and the floor of four.
 */
import { median } from "./lib.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { floor, FULL_EXTRA, idleTree, PREFIX, type Tree, vrrpConf } from "./footprint.ts";

const [binA, binB] = [process.argv[2], process.argv[3]];
if (!binA || !binB) throw new Error("usage: bun bench/footprint-ab.ts BIN_A BIN_B [rounds]");
const rounds = Number(process.argv[4] ?? 3);
/** BENCH_STEADY_S > 0 adds the steady reading (bench/footprint.ts idleTree) of each trial. */
const steadyS = Number(process.env.BENCH_STEADY_S ?? 0);
const mib = (k: number) => k / 1024;
const full = process.env.BENCH_AB_FULL === "1";
/** The child whose figures are printed beside the tree's. */
const childRole = full ? "check" : "vrrp";
const configs: { n: number; advert: string; extra: string; procs: number }[] = full
  ? [{ n: 1, advert: "1", extra: FULL_EXTRA, procs: 4 }]
  : [{ n: 1, advert: "1", extra: "", procs: 2 }, { n: 100, advert: "0.1", extra: "", procs: 2 }];

interface Fig {
  rss: number;
  pss: number;
  anon: number;
  childRss: number;
  childAnon: number;
}

function figures(t: Tree): Fig {
  const child = t.procs.find((p) => p.role === childRole)?.mem;
  return {
    rss: mib(t.total.rss),
    pss: mib(t.total.pss),
    anon: mib(t.total.anon),
    childRss: mib(child?.rss ?? 0),
    childAnon: mib(child?.anon ?? 0),
  };
}

const fmt = (f: Fig) => `${f.rss.toFixed(1)} / ${f.pss.toFixed(1)} / ${f.anon.toFixed(1)}; child ${f.childRss.toFixed(1)} / ${f.childAnon.toFixed(1)}`;

for (const { n, advert, extra, procs } of configs) {
  const got: Record<string, Fig[]> = { A: [], B: [], "A steady": [], "B steady": [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, bin] of [["A", binA], ["B", binB]] as const) {
      const t = await idleTree({ name: "ours", bin }, vrrpConf(n, advert, extra), n, procs, `ab${name.toLowerCase()}`, undefined, steadyS);
      if (t && full) {
        console.log(t.procs.map((p) => `${p.role} ${mib(p.mem.rss).toFixed(1)}/${mib(p.mem.pss).toFixed(1)}/${mib(p.mem.anon).toFixed(1)}`).join(", "));
      }
      if (!t) continue;
      const f = figures(t);
      got[name]!.push(f);
      console.log(`${n} instance(s), round ${r + 1}, ${name}: tree RSS / PSS / anon ${fmt(f)}`);
      if (!t.steady) continue;
      const fs = figures(t.steady);
      got[`${name} steady`]!.push(fs);
      console.log(`${n} instance(s), round ${r + 1}, ${name} steady: tree RSS / PSS / anon ${fmt(fs)}`);
    }
  }
  for (const name of ["A", "B", "A steady", "B steady"]) {
    const l = got[name]!;
    if (!l.length) continue;
    const med = (k: keyof Fig) => median(l.map((f) => f[k]));
    const spread = (k: keyof Fig) => `${Math.min(...l.map((f) => f[k])).toFixed(1)}-${Math.max(...l.map((f) => f[k])).toFixed(1)}`;
    console.log(
      `${n} instance(s), ${name} median of ${l.length}: tree RSS ${med("rss").toFixed(1)} (${spread("rss")}), PSS ${med("pss").toFixed(1)} (${
        spread("pss")
      }), ` +
        `anon ${med("anon").toFixed(1)} (${spread("anon")}); ${childRole} child RSS ${med("childRss").toFixed(1)}, anon ${med("childAnon").toFixed(1)} (${
          spread("childAnon")
        })`,
    );
  }
}
const dir = mkdtempSync(`/tmp/${PREFIX}abfloor-`);
const fl: number[][] = [];
for (let r = 0; r < rounds; r++) {
  const t = await floor(dir, full ? 4 : 2);
  fl.push([mib(t.total.rss), mib(t.total.pss), mib(t.total.anon)]);
}
rmSync(dir, { recursive: true, force: true });
const f = [0, 1, 2].map((i) => median(fl.map((x) => x[i]!)).toFixed(1));
console.log(`floor of ${full ? 4 : 2}, median of ${rounds}: RSS ${f[0]}, PSS ${f[1]}, anon ${f[2]}`);
process.exit(0);
