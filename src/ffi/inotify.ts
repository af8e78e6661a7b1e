/**
 * inotify(7) through libc: a non-blocking inotify fd for the reactor, watches, and a decoder for
 * the `struct inotify_event` records read from it (FILE_CHECK / track_file watching).
 */
import { EAGAIN, EINTR } from "./errno.ts";
import { check, closeQuietly, cstr, libc, rcOrErrno, SysError } from "./libc.ts";

/** inotify event bits (inotify(7)). */
export const IN_MODIFY = 0x2,
  IN_ATTRIB = 0x4,
  IN_CLOSE_WRITE = 0x8,
  IN_MOVED_FROM = 0x40,
  IN_MOVED_TO = 0x80,
  IN_CREATE = 0x100,
  IN_DELETE = 0x200,
  IN_DELETE_SELF = 0x400,
  IN_MOVE_SELF = 0x800,
  IN_IGNORED = 0x8000;
/** inotify_init1 flags. */
const IN_NONBLOCK = 0o4000, IN_CLOEXEC = 0o2000000;

/** One decoded inotify_event. */
export interface InotifyEvent {
  /** Watch descriptor. */
  wd: number;
  mask: number;
  cookie: number;
  /** File name inside a watched directory ("" for the watched object itself). */
  name: string;
}

/** Decodes the inotify_event records in `b` (wd, mask, cookie, len, then len bytes of NUL-padded name). */
export function decodeInotifyEvents(b: Uint8Array): InotifyEvent[] {
  const out: InotifyEvent[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder();
  let off = 0;
  while (off + 16 <= b.length) {
    const len = dv.getUint32(off + 12, true);
    if (off + 16 + len > b.length) break;
    const raw = b.subarray(off + 16, off + 16 + len);
    const nul = raw.indexOf(0);
    out.push({
      wd: dv.getInt32(off, true),
      mask: dv.getUint32(off + 4, true),
      cookie: dv.getUint32(off + 8, true),
      name: dec.decode(nul < 0 ? raw : raw.subarray(0, nul)),
    });
    off += 16 + len;
  }
  return out;
}

/** A non-blocking inotify instance; register `fd` with the reactor and call read() until undefined. */
export class Inotify {
  readonly fd: number;
  #buf = new Uint8Array(8192);
  #closed = false;

  constructor() {
    this.fd = check("inotify_init1", libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  }

  /** Adds (or updates) a watch; returns its descriptor. */
  addWatch(path: string, mask: number): number {
    return check("inotify_add_watch", libc.inotify_add_watch(this.fd, cstr(path), mask), path);
  }

  /** Removes a watch (errors ignored: the kernel drops watches of deleted files itself). */
  rmWatch(wd: number): void {
    libc.inotify_rm_watch(this.fd, wd);
  }

  /** Reads queued events; undefined when none are queued (EAGAIN). */
  read(): InotifyEvent[] | undefined {
    for (;;) {
      const n = rcOrErrno(libc.read(this.fd, this.#buf, this.#buf.length));
      if (n === -EINTR) continue;
      if (n === -EAGAIN) return undefined;
      if (n < 0) throw new SysError("read(inotify)", -n);
      return decodeInotifyEvents(this.#buf.subarray(0, n));
    }
  }

  /** Closes the fd once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.fd);
  }
}
