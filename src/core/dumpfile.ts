/**
 * Writes dump files (USR1 data, USR2 stats, JSON) without ever writing through a file an attacker
 * planted: the text goes to a new file created with O_CREAT|O_EXCL|O_NOFOLLOW (random name, mode 0644) in
 * the target's directory, which is then renamed over the target. rename() replaces a planted symlink
 * itself instead of following it (keepalived's CVE-2018-19044/19045/19046 are the cautionary tale).
 */
import type { Role } from "./role.ts";
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { withInstance } from "./instance-files.ts";

/** 12 random hex digits (Web Crypto's getRandomValues: node:crypto is not loaded for this). */
function randomName(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Atomically replaces `path` with `text`; throws with the path named on failure. */
export function writeDumpFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${randomName()}.ka-tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * keepalived's dump paths: /tmp/keepalived.data (VRRP), keepalived_parent/_check/_bfd.data for the
 * other processes, keepalived.stats, keepalived.json (TMPDIR honoured). A configured state_dump_file
 * gets the same per-process suffix before its extension, so the processes never overwrite each other.
 * `instance` (data_use_instance with an instance name, instance-files.ts dataInstance): the data files
 * carry ".NAME" before their extension, as keepalived's; stats and JSON keep their names.
 */
export function dumpPath(kind: "data" | "stats" | "json", role: "parent" | Role, configured: string | null, instance: string | null = null): string {
  const suffix = kind === "data" && role !== "vrrp" ? `_${role}` : "";
  let path = join(process.env.TMPDIR || "/tmp", `keepalived${suffix}.${kind}`);
  if (configured) {
    const m = /^(.*?)(\.[^./]*)?$/.exec(configured)!;
    path = suffix ? `${m[1]}${suffix}${m[2] ?? ""}` : configured;
  }
  return kind === "data" ? withInstance(path, instance) : path;
}
