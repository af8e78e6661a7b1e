/**
 * What /proc and ss say about a process's scheduling (for the tuning tests): name, nice value, policy and
 * realtime priority (/proc/PID/stat), allowed CPUs and locked memory (/proc/PID/status), RLIMIT_RTTIME
 * (/proc/PID/limits), and the receive buffers of a namespace's rtnetlink sockets (ss -m).
 */
import { readFileSync } from "node:fs";
import type { Netns } from "../netns.ts";

/** A process's scheduling as the kernel reports it. */
export interface ProcView {
  comm: string;
  nice: number;
  /** 0 SCHED_OTHER, 2 SCHED_RR. */
  policy: number;
  rtPriority: number;
  cpus: string;
  vmLckKb: number;
  /** "Max realtime timeout" soft and hard, as printed ("unlimited" or µs). */
  rtTimeout: [string, string];
}

/** Reads a process's (or a thread's, with `tid`) scheduling from /proc. */
export function procView(pid: number, tid?: number): ProcView {
  const base = tid === undefined ? `/proc/${pid}` : `/proc/${pid}/task/${tid}`;
  const stat = readFileSync(`${base}/stat`, "utf8");
  // Fields after "(comm)": state is field 3, so field N is at index N - 3.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = readFileSync(`${base}/status`, "utf8");
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
  const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
  const rt = /^Max realtime timeout\s+(\S+)\s+(\S+)/m.exec(limits);
  return {
    comm: readFileSync(`${base}/comm`, "utf8").trimEnd(),
    nice: Number(f[19 - 3]),
    policy: Number(f[41 - 3]),
    rtPriority: Number(f[40 - 3]),
    cpus: field("Cpus_allowed_list"),
    vmLckKb: Number(field("VmLck").replace(/\s*kB$/, "") || 0),
    rtTimeout: [rt?.[1] ?? "", rt?.[2] ?? ""],
  };
}

/** The threads of a process with their names. */
export function threadsOf(pid: number): { tid: number; comm: string }[] {
  const out: { tid: number; comm: string }[] = [];
  for (const t of new Bun.Glob("*").scanSync({ cwd: `/proc/${pid}/task`, onlyFiles: false })) {
    try {
      out.push({ tid: Number(t), comm: readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trimEnd() });
    } catch { /* gone */ }
  }
  return out;
}

/**
 * Receive buffers (skmem rb, bytes: twice what was set) of the netlink sockets of protocol `proto` (ss's
 * name: rtnl, genl, ...) that are not the kernel's in a namespace: `monitor` for sockets subscribed to
 * groups, `cmd` for the others.
 */
export function netlinkBuffers(ns: Netns, proto = "rtnl"): { cmd: number[]; monitor: number[] } {
  const out = { cmd: [] as number[], monitor: [] as number[] };
  const seen = new Set<string>();
  const re = new RegExp(`(?:^|\\s)${proto}:(\\S+)\\s.*groups=0x([0-9a-f]+).*\\brb(\\d+)`);
  for (const line of ns.exec(["ss", "-f", "netlink", "-a", "-m", "-e"]).split("\n")) {
    const m = re.exec(line);
    if (!m || m[1] === "kernel" || seen.has(line)) continue;
    seen.add(line); // ss prints a socket twice when its port id matches no process
    (Number.parseInt(m[2]!, 16) ? out.monitor : out.cmd).push(Number(m[3]));
  }
  return out;
}
