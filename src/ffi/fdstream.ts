/**
 * Non-blocking byte I/O on an fd we own (a socket pair end): read what is there, write what fits.
 * Readiness comes from an FdWatcher (the reactor, or SIGIO in the parent). Unlike sockets adopted by
 * Bun.connect, nothing here arms a timer, so an idle process stays asleep.
 */
import { EAGAIN, EINTR } from "./errno.ts";
import { closeQuietly, libc, rcOrErrno, setNonBlocking, SysError } from "./libc.ts";

/** One end of a byte stream. */
export class FdStream {
  readonly #buf = new Uint8Array(65536);
  #closed = false;

  constructor(readonly fd: number) {
    setNonBlocking(fd);
  }

  /** Reads what is queued: chunks, and whether the other end has closed (EOF or an error). */
  readAvailable(): { chunks: Uint8Array[]; eof: boolean } {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const n = rcOrErrno(libc.read(this.fd, this.#buf, this.#buf.length));
      if (n === -EINTR) continue;
      if (n === -EAGAIN) return { chunks, eof: false };
      if (n <= 0) return { chunks, eof: true };
      chunks.push(this.#buf.slice(0, n));
    }
  }

  /** Writes as much of `data` as the kernel takes now; returns the count (0 when it would block). */
  write(data: Uint8Array): number {
    for (;;) {
      const n = rcOrErrno(libc.write(this.fd, data, data.length));
      if (n === -EINTR) continue;
      if (n === -EAGAIN) return 0;
      if (n < 0) throw new SysError("write", -n);
      return n;
    }
  }

  /** Closes the fd once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.fd);
  }
}
