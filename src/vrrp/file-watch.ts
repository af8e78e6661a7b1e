/**
 * FileWatch over inotify (src/ffi/inotify.ts): one inotify fd on the reactor, one watch per directory;
 * a change to a watched file name (written and closed, created, deleted, renamed to or from) calls its
 * callbacks. Watching the directory, not the file, keeps working when the file is replaced or appears
 * later.
 */
import { IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, Inotify } from "../ffi/inotify.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import type { FileWatch } from "./track-file.ts";
import { watchTarget } from "./track-file.ts";

const MASK = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;

/** The real FileWatch. */
export class InotifyFileWatch implements FileWatch {
  #ino: Inotify | undefined;
  readonly #dirs = new Map<number, { dir: string; files: Map<string, Set<() => void>> }>();

  constructor(readonly reactor: FdWatcher) {}

  #inotify(): Inotify {
    if (!this.#ino) {
      const ino = new Inotify();
      this.#ino = ino;
      this.reactor.add(ino.fd, () => {
        for (let evs = ino.read(); evs; evs = ino.read()) {
          for (const e of evs) for (const f of this.#dirs.get(e.wd)?.files.get(e.name) ?? []) f();
        }
      });
    }
    return this.#ino;
  }

  watch(path: string, onChange: () => void): () => void {
    const { dir, name } = watchTarget(path);
    const wd = this.#inotify().addWatch(dir, MASK);
    const d = this.#dirs.get(wd) ?? { dir, files: new Map<string, Set<() => void>>() };
    this.#dirs.set(wd, d);
    const set = d.files.get(name) ?? new Set<() => void>();
    d.files.set(name, set);
    set.add(onChange);
    return () => void set.delete(onChange);
  }

  /** Closes the inotify fd. */
  close(): void {
    if (!this.#ino) return;
    this.reactor.remove(this.#ino.fd);
    this.#ino.close();
    this.#ino = undefined;
  }
}
