/**
 * The allowed differences between keepalived 2.2.7's dump files and ours (docs/dumps.md "Allowed
 * differences"), as rewrites applied to both sides before a line-by-line comparison, and the lines and
 * sections of ours that keepalived does not have (dropped from ours before comparing).
 */

/** Values that differ from run to run or between implementations: timestamps, descriptors, pointers, counters, random ids. */
const VOLATILE: [RegExp, string][] = [
  [/^(\s+(Last transition|Read timeout) = ).*$/, "$1<time>"],
  [/^(\s+sands_\w+ = ).*$/, "$1<time>"],
  [/^(\s+last_seen = ).*$/, "$1<time>"],
  [/^(\s+Not IPv6 forwarding\. Last checked ).*$/, "$1<time>"],
  [/^(\s+)fd_in -?\d+, fd_out -?\d+$/, "$1fd_in <fd>, fd_out <fd>"],
  [/^ fd_in -?\d+ fd_out = -?\d+$/, " fd_in <fd> fd_out = <fd>"],
  [/^(\s+fd_out) -?\d+$/, "$1 <fd>"],
  [/^( fd_in = )-?\d+$/, "$1<fd>"],
  [/^(\s+thread_\w+) 0x.*$/, "$1 <ptr>"],
  [/^( thread_in = )0x.*$/, "$1<ptr>"],
  [/^(\s+local discriminator = )0x[0-9a-f]+$/, "$1<discr>"],
  // keepalived prints an uninitialised address until it hears a master.
  [/^(\s+Master router = ).*$/, "$1<addr>"],
];

/** Our lines at the end of a block that keepalived does not print. */
const OURS_ONLY: RegExp[] = [
  /^ {4}Other: \d+$/,
  /^ {3}(Receive buffer|Kernel drops|Overflows) = /,
  /^ {3}(multihop|source port|advertised min [tr]x intv|packets sent|packets received|poll sequence|discarded [\w-]+) = /,
];

/** Our sections (to the end of the file) that keepalived does not have. */
const OURS_SECTIONS = ["------< Keepalived parent >------", "------< BFD packet drops >------"];

/** keepalived's sections we do not write yet (docs/dumps.md "Not yet"). */
const THEIRS_ONLY_SECTIONS: string[] = [];

function cutSections(lines: string[], headers: string[]): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const l of lines) {
    if (l.startsWith("------<")) skipping = headers.includes(l);
    if (!skipping) out.push(l);
  }
  return out;
}

/** keepalived's text ready to compare. */
export function normalizeTheirs(text: string | string[], stats = false): string[] {
  const lines = Array.isArray(text) ? text : text.replace(/\n$/, "").split("\n");
  return cutSections(lines, THEIRS_ONLY_SECTIONS).map((l) => volatile(l, stats));
}

/** Our text ready to compare. */
export function normalizeOurs(text: string | string[], stats = false): string[] {
  const lines = Array.isArray(text) ? text : text.replace(/\n$/, "").split("\n");
  return cutSections(lines, OURS_SECTIONS).filter((l) => !OURS_ONLY.some((r) => r.test(l))).map((l) => volatile(l, stats));
}

function volatile(l: string, stats: boolean): string {
  // Statistics counters depend on how long each daemon ran before the signal.
  if (stats) return l.replace(/^(\s+[A-Za-z ]+: )\d+$/, "$1<n>");
  let out = l;
  for (const [re, to] of VOLATILE) out = out.replace(re, to);
  return out;
}

/** A JSON dump ready to compare: timestamps and counters replaced, our extra keys dropped. */
export function normalizeJson(text: string): unknown {
  const list = JSON.parse(text) as { data: Record<string, unknown>; stats: Record<string, unknown> }[];
  return list.map((e) => ({
    data: { ...e.data, last_transition: "<time>" },
    stats: Object.fromEntries(Object.keys(e.stats).map((k) => [k, "<n>"])),
  }));
}
