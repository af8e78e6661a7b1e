/**
 * /proc/sys writes for the VRRP child (VMAC ARP settings), each remembered so it can be put back:
 * `set` records the first value it replaced, `restore` writes the recorded values back (in reverse
 * order) and forgets them. Reading and writing go through an injected Sysctl so tests use a map.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Logger } from "../core/log.ts";

/** Raw access to /proc/sys (paths relative to /proc/sys, e.g. "net/ipv4/conf/eth0/arp_ignore"). */
export interface Sysctl {
  read(path: string): string | undefined;
  write(path: string, value: string): void;
}

/** The real /proc/sys. */
export const procSysctl: Sysctl = {
  read(path) {
    try {
      return readFileSync(`/proc/sys/${path}`, "utf8").trim();
    } catch {
      return undefined;
    }
  },
  write(path, value) {
    writeFileSync(`/proc/sys/${path}`, `${value}\n`);
  },
};

/** Path of a per-interface IPv4 / IPv6 setting. */
export function confPath(family: "ipv4" | "ipv6", ifname: string, key: string): string {
  return `net/${family}/conf/${ifname}/${key}`;
}

/** Sysctl writes with their old values kept for restore. */
export class SysctlJournal {
  readonly #saved = new Map<string, string>();

  constructor(readonly sys: Sysctl, readonly log: Logger) {}

  /**
   * Writes `value` unless already set; remembers the old value the first time (`original` instead when
   * given: what the path held before a previous process changed it). Errors are logged.
   */
  set(path: string, value: string, original?: string): void {
    const now = this.sys.read(path);
    const old = now === undefined ? undefined : original ?? now;
    if (old === undefined) {
      this.log.warn(`sysctl ${path}: cannot read; not set`);
      return;
    }
    if (old === value) return;
    if (!this.#saved.has(path)) this.#saved.set(path, old);
    if (now === value) return;
    try {
      this.sys.write(path, value);
    } catch (e) {
      this.log.warn(`sysctl ${path}=${value}: ${(e as Error).message}`);
    }
  }

  /** Puts back the saved values of the paths starting with `prefix` (all when omitted). */
  restore(prefix = ""): void {
    for (const [path, old] of [...this.#saved].reverse()) {
      if (!path.startsWith(prefix)) continue;
      this.#saved.delete(path);
      try {
        this.sys.write(path, old);
      } catch {
        // the interface may be gone already
      }
    }
  }

  /** Forgets saved values for `prefix` (an interface that was deleted takes its settings with it). */
  forget(prefix: string): void {
    for (const path of [...this.#saved.keys()]) if (path.startsWith(prefix)) this.#saved.delete(path);
  }
}

/** disable_local_igmp's sysctl. */
export const IGMP_REPORTS = "net/ipv4/igmp_link_local_mcast_reports";
/**
 * The environment variable in which the parent hands each VRRP child the value IGMP_REPORTS had before
 * any child set it: a child restarted after a crash finds 0 there and must not take that for the original.
 */
export const IGMP_SAVED_ENV = "KEEPALIVED_IGMP_REPORTS_SAVED";
