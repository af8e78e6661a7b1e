/**
 * Human-readable output of `keepalived ctl` (docs/control.md shows every command's output): aligned
 * tables for `status`, one line per `watch` event. `--json` prints the replies as they come instead.
 */
import type { StatusResult } from "./status.ts";

/** "12s", "5m03s", "2h10m", "3d04h". */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, "0")}h`;
}

/** Rows as columns padded to the widest cell (the last column is not padded). */
export function table(head: string[], rows: string[][]): string[] {
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join("  ").trimEnd());
}

function vrrpLines(s: StatusResult, now: number): string[] {
  const v = s.vrrp;
  if (!v) return [];
  const rows = v.instances.map((i) => [
    i.name,
    i.state,
    `${i.interface}/${i.vrid}`,
    `${i.priority}`,
    `${i.effectivePriority}`,
    i.master ? `${i.master.address} (${i.master.priority})` : "-",
    `${i.advertIntMs / 1000}s`,
    age(now - i.sinceMs),
    i.lastTransition ? `${i.lastTransition.from}->${i.lastTransition.to}: ${i.lastTransition.reason}` : "-",
  ]);
  const out = [
    `VRRP instances (reported ${age(now - v.atMs)} ago)`,
    ...table(["NAME", "STATE", "IF/VRID", "PRIO", "EFFECTIVE", "LAST HEARD", "ADVERT", "IN STATE", "LAST TRANSITION"], rows).map((l) => `  ${l}`),
  ];
  for (const i of v.instances) {
    for (const r of i.priorityReasons) out.push(`    ${i.name}: ${r}`);
    for (const r of i.faultReasons) out.push(`    ${i.name}: FAULT because ${r}`);
    if (i.holdUntilMs !== null) out.push(`    ${i.name}: failover hold, ${age(i.holdUntilMs - now)} left`);
  }
  if (v.groups.length) {
    out.push("Sync groups", ...table(["NAME", "STATE", "MEMBERS"], v.groups.map((g) => [g.name, g.state, g.members.join(", ")])).map((l) => `  ${l}`));
  }
  return out;
}

function checkLines(s: StatusResult, now: number): string[] {
  const c = s.check;
  if (!c) return [];
  const out = [`Virtual servers (reported ${age(now - c.atMs)} ago; IPVS ${c.ipvs ? "programmed" : "not available, table computed only"})`];
  for (const vs of c.virtualServers) {
    out.push(`  ${vs.name}  quorum ${vs.quorumUp ? "UP" : "DOWN"}  live weight ${vs.liveWeight}`);
    const rows = vs.realServers.map((rs) => {
      const bad = rs.checkers.find((k) => !k.up) ?? rs.checkers[0];
      const lat = bad?.latencyMs === null || bad === undefined ? "" : ` ${bad.latencyMs.toFixed(1)}ms`;
      const w = rs.weightOverride !== null ? `${rs.weight} (set ${rs.weightOverride}, conf ${rs.configuredWeight})` : `${rs.weight}`;
      return [
        rs.name,
        rs.up ? "UP" : "DOWN",
        w,
        rs.drained ? "drained" : rs.inIpvs ? "yes" : "no",
        bad ? `${bad.name.split(" ")[0]}: ${bad.reason}${lat}` : "(no checker)",
      ];
    });
    out.push(...table(["REAL SERVER", "STATE", "WEIGHT", "IN IPVS", "LAST CHECK"], rows).map((l) => `    ${l}`));
  }
  return out;
}

function bfdLines(s: StatusResult, now: number): string[] {
  const b = s.bfd;
  if (!b) return [];
  const rows = b.sessions.map((x) => [x.name, x.state, x.neighbor, x.remoteState, `${x.txMs}ms`, `${x.detectMs}ms`, x.diag]);
  return [
    `BFD sessions (reported ${age(now - b.atMs)} ago)`,
    ...table(["NAME", "STATE", "NEIGHBOR", "REMOTE", "TX", "DETECT", "LAST DIAG"], rows).map((l) => `  ${l}`),
  ];
}

/** The `status` table. */
export function formatStatus(s: StatusResult): string {
  const now = s.daemon.nowMs;
  const d = s.daemon;
  const out = [`keepalived pid ${d.pid}, config ${d.configFile} (generation ${d.generation})${d.routerId ? `, router_id ${d.routerId}` : ""}`];
  out.push(
    "Processes",
    ...table(
      ["ROLE", "PID", "UP", "RESTARTS", "READY"],
      s.children.map((c) => [
        c.role,
        c.pid === undefined ? "-" : `${c.pid}`,
        c.startedAtMs === null ? "down" : age(now - c.startedAtMs),
        `${c.restarts}`,
        c.ready ? "yes" : "no",
      ]),
    ).map((l) => `  ${l}`),
  );
  out.push(...vrrpLines(s, now), ...checkLines(s, now), ...bfdLines(s, now));
  const o = s.overrides;
  if (o.drained.length || Object.keys(o.weights).length) {
    out.push("Operator overrides");
    for (const k of o.drained) out.push(`  drained ${k.replace("|", " ")}${o.persisted.drained.includes(k) ? " (persisted)" : ""}`);
    for (const [k, w] of Object.entries(o.weights)) out.push(`  weight ${w} ${k.replace("|", " ")}${k in o.persisted.weights ? " (persisted)" : ""}`);
  }
  return out.join("\n") + "\n";
}

/** One `watch` event as a line. */
export function formatEvent(e: Record<string, unknown>): string {
  const t = new Date(typeof e.atMs === "number" ? e.atMs : Date.now()).toISOString().slice(11, 23);
  switch (e.event) {
    case "watching":
      return `${t} watching (Ctrl-C to stop)`;
    case "vrrp":
      return `${t} vrrp ${e.instance} -> ${e.state} (priority ${e.effectivePriority})`;
    case "priority":
      return `${t} vrrp ${e.instance} priority ${e.from} -> ${e.to}${(e.reasons as string[]).length ? ` (${(e.reasons as string[]).join("; ")})` : ""}`;
    case "realServer":
      return `${t} rs ${e.rs} of ${e.vs} -> ${e.state} (weight ${e.weight})`;
    case "virtualServer":
      return `${t} vs ${e.vs} quorum -> ${e.state}`;
    case "check":
      return `${t} check ${e.checker} of ${e.rs} in ${e.vs}: ${e.up ? "OK" : "FAIL"} ${e.reason}${
        typeof e.latencyMs === "number" ? ` (${e.latencyMs.toFixed(1)}ms)` : ""
      }`;
    case "bfd":
      return `${t} bfd ${e.session} -> ${e.state}`;
    case "command":
      return `${t} command ${e.command}: ${e.ok ? "ok" : "refused"}: ${e.message}`;
    default:
      return `${t} ${JSON.stringify(e)}`;
  }
}
