/**
 * FILE_CHECK watching (keepalived.conf(5) track_file): one inotify instance per check child,
 * watching the directory of every tracked file so that creation, rewrite, rename over and
 * deletion are all seen. Each change re-reads the file and hands its text (undefined when the
 * file is missing or unreadable) to the subscribers of that path.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "../core/log.ts";
import { IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, Inotify } from "../ffi/inotify.ts";
import type { FdWatcher } from "../ffi/reactor.ts";

/** Receives a tracked file's text after each change (undefined = missing / unreadable). */
export type FileListener = (text: string | undefined) => void;

const DIR_MASK = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;

/** Reads a tracked file, at most 4 KiB of it; undefined when it cannot be read. */
export function readTracked(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").slice(0, 4096);
  } catch {
    return undefined;
  }
}

/** Shared inotify watches for FILE_CHECK. */
export class FileWatchHub {
  #ino: Inotify | undefined;
  #dirs = new Map<string, number>();
  #byWd = new Map<number, string>();
  #listeners = new Map<string, Set<FileListener>>();

  constructor(readonly watcher: FdWatcher, readonly log: Logger) {}

  /** Subscribes to a file; the listener is called once now and after every change. Returns unsubscribe. */
  watch(path: string, listener: FileListener): () => void {
    const abs = resolve(path);
    let set = this.#listeners.get(abs);
    if (!set) {
      set = new Set();
      this.#listeners.set(abs, set);
      this.#watchDir(dirname(abs));
    }
    set.add(listener);
    queueMicrotask(() => listener(readTracked(abs)));
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(abs);
    };
  }

  #watchDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    try {
      if (!this.#ino) {
        this.#ino = new Inotify();
        this.watcher.add(this.#ino.fd, () => this.#drain());
      }
      const wd = this.#ino.addWatch(dir, DIR_MASK);
      this.#dirs.set(dir, wd);
      this.#byWd.set(wd, dir);
    } catch (e) {
      this.log.error(`FILE_CHECK: cannot watch ${dir}: ${(e as Error).message}; changes will not be seen`);
    }
  }

  #drain(): void {
    const ino = this.#ino;
    if (!ino) return;
    const touched = new Set<string>();
    try {
      for (let evs = ino.read(); evs; evs = ino.read()) {
        for (const e of evs) {
          const dir = this.#byWd.get(e.wd);
          if (dir !== undefined && e.name) touched.add(resolve(dir, e.name));
        }
      }
    } catch (e) {
      this.log.error(`FILE_CHECK: inotify read failed: ${(e as Error).message}`);
    }
    for (const p of touched) {
      const set = this.#listeners.get(p);
      if (!set) continue;
      const text = readTracked(p);
      for (const l of set) l(text);
    }
  }

  /** Drops every watch and the inotify fd. */
  close(): void {
    if (this.#ino) {
      this.watcher.remove(this.#ino.fd);
      this.#ino.close();
    }
    this.#ino = undefined;
    this.#dirs.clear();
    this.#byWd.clear();
    this.#listeners.clear();
  }
}

/** The file name a path is reported under (for logs). */
export const trackedName = (p: string): string => basename(p);
