/**
 * Just the idle scenario of bench/vrrp.ts, for profiling: `bun bench/vrrp-idle.ts [ours|keepalived|both] [n] [window s]`.
 * Prints CPU of master and backup per 30 s and the advert interval spread; BENCH_OURS picks our binary.
 */
import { idleOnce } from "./vrrp.ts";
import { impls, quantile } from "./lib.ts";

const which = process.argv[2] ?? "both";
const n = Number(process.argv[3] ?? 100);
const windowS = Number(process.argv[4] ?? 10);
for (const impl of impls(process.env.BENCH_OURS ?? `${import.meta.dir}/../dist/keepalived`)) {
  if (which !== "both" && which !== impl.name) continue;
  const s = await idleOnce(impl, n, windowS);
  console.log(
    `${impl.name}: cpu master ${s.cpuA.toFixed(0)} ms/30s (${s.wakesA.toFixed(1)} wakes/s), backup ${s.cpuB.toFixed(0)} ms/30s (${
      s.wakesB.toFixed(1)
    } wakes/s), ` +
      `p99 ${quantile(s.iv, 0.99).toFixed(2)} ms, max dev ${
        Math.max(...s.iv.map((x) => Math.abs(x - 100))).toFixed(2)
      } ms, flaps ${s.flaps}, capture drops ${s.drops}`,
  );
}
