/**
 * track_file / vrrp_track_file (keepalived.conf(5)): the file holds an integer; the tracker's value is
 * that number (a missing or unreadable file counts as 0, non-numeric text as 0), and the priority
 * effect is value * weight (src/vrrp/priority.ts). `init_file [VALUE] [overwrite]` creates the file
 * with VALUE at startup (overwrite: even when it exists). Changes are seen through inotify on the
 * file's directory (so a file replaced by rename or created later is seen too); tests inject a watcher.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { TrackFileDef } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { parseTrackFileValue } from "./priority.ts";

/** Watches paths for changes; returns a function that stops watching. */
export interface FileWatch {
  watch(path: string, onChange: () => void): () => void;
}

/** Reads a track file's value: 0 when missing or unreadable. */
export function readTrackFile(path: string): number {
  try {
    return parseTrackFileValue(readFileSync(path, "utf8"));
  } catch {
    return 0;
  }
}

/** One track_file: its current value, re-read on every change. */
export class FileTrackerRunner {
  value = 0;
  #unwatch: (() => void) | undefined;

  constructor(readonly def: TrackFileDef, readonly log: Logger, readonly watcher: FileWatch, readonly onChange: () => void) {}

  /** Applies init_file, reads the value and starts watching. */
  start(): void {
    const path = this.def.path;
    if (!path) return;
    const init = this.def.initFile;
    if (init && (init.overwrite || !existsSync(path))) {
      try {
        writeFileSync(path, `${init.value}\n`);
      } catch (e) {
        this.log.error(`track_file ${this.def.name}: cannot initialise ${path}: ${(e as Error).message}`);
      }
    }
    this.value = readTrackFile(path);
    this.#unwatch = this.watcher.watch(path, () => this.#reread());
  }

  #reread(): void {
    const v = readTrackFile(this.def.path!);
    if (v === this.value) return;
    this.log.info(`track_file ${this.def.name} (${this.def.path}) value changed from ${this.value} to ${v}`);
    this.value = v;
    this.onChange();
  }

  /** Stops watching. */
  stop(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }
}

/** Directory name and file name a watch event must match. */
export function watchTarget(path: string): { dir: string; name: string } {
  return { dir: dirname(path), name: basename(path) };
}
