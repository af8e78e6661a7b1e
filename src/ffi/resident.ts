/**
 * Unmaps the pages of our own executable that this process touched once (start-up, a reload, a
 * failover) and no longer uses. The runtime's code and read-only data are file pages: the page cache
 * holds one copy for every process of the binary, and each page a process has touched stays in its page
 * tables, so in its RSS and PSS, until it exits (an idle child kept ~30 MiB of `.text` mapped, of which
 * it uses a few MiB; docs/design.md, Footprint). madvise(MADV_DONTNEED) on a read-only private file
 * mapping removes only our mappings of those pages: they stay cached, and the next access maps the
 * cached page again (a minor fault). Only the executable's read-only mappings with no anonymous
 * (copied-on-write) page are dropped, so nothing the process wrote is lost.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { libc } from "./libc.ts";

const MADV_DONTNEED = 4;

/** One mapping of /proc/self/smaps. */
export interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  /** Anonymous KiB: pages copied on write (none in a mapping we may drop). */
  anon: number;
}

/** Parses /proc/PID/smaps text (proc(5)): address range, permissions, path and the Anonymous field. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split("\n")) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) {
      cur = { start: parseInt(h[1]!, 16), end: parseInt(h[2]!, 16), perms: h[3]!, path: h[4]!, anon: 0 };
      out.push(cur);
    } else if (cur && line.startsWith("Anonymous:")) {
      cur.anon = Number(/(\d+)/.exec(line)?.[1] ?? 1);
    }
  }
  return out;
}

/** The mappings of `exe` that may be dropped: read-only (code or data), private, nothing copied. */
export function droppableMappings(maps: Mapping[], exe: string): Mapping[] {
  return maps.filter((m) => m.path === exe && m.anon === 0 && (m.perms === "r--p" || m.perms === "r-xp"));
}

let ranges: Mapping[] | undefined;

function droppable(): Mapping[] {
  if (ranges) return ranges;
  // Found once: the executable's mappings do not move, and a read-only one is never written.
  try {
    ranges = droppableMappings(parseSmaps(readFileSync("/proc/self/smaps", "utf8")), readlinkSync("/proc/self/exe"));
  } catch {
    ranges = []; // no /proc: nothing to drop
  }
  return ranges;
}

/** Drops the executable's clean read-only pages from this process's page tables; returns the KiB covered. */
export function dropExecutablePages(): number {
  let kib = 0;
  for (const m of droppable()) {
    if (libc.madvise(m.start, m.end - m.start, MADV_DONTNEED) === 0) kib += (m.end - m.start) / 1024;
  }
  return kib;
}
