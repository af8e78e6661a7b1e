/**
 * The parent <-> child message channel: newline-delimited JSON over an AF_UNIX stream socket that the
 * parent creates with socketpair(2) and hands to the child as fd 3. Bun's built-in spawn IPC, and sockets
 * adopted with Bun.connect({fd}), wake an idle process every second (measured: ~2.7 ms CPU per 10 s per
 * process, more than keepalived's whole idle cost); this channel is read when its fd is readable (the
 * reactor in a child, SIGIO in the parent) and otherwise sleeps. Writes that do not fit are queued in
 * order and retried shortly.
 */
import type { FdWatcher } from "../ffi/reactor.ts";
import { FdStream } from "../ffi/fdstream.ts";

const encoder = new TextEncoder();

/** One message as it travels on a channel: its JSON and a newline. */
export function frame(msg: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(msg) + "\n");
}

/** Called with each decoded message (not yet validated: see decode() in ipc.ts). */
export type OnMessage = (raw: unknown) => void;

/** One end of a channel. */
export class Channel {
  readonly #stream: FdStream;
  #queue: Uint8Array[] = [];
  /** Bytes of a message whose newline has not arrived yet (a large one spans many reads). */
  #partial: Uint8Array[] = [];
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #decoder = new TextDecoder();

  /**
   * Takes ownership of `fd` (a connected stream socket) and starts reading when `watcher` says so;
   * `onBytes` is told the size of every message once it was handled (the parent's InflowCollector,
   * src/procs/inflow-gc.ts).
   */
  constructor(
    fd: number,
    readonly watcher: FdWatcher,
    readonly onMessage: OnMessage,
    readonly onClose: () => void,
    readonly onBytes?: (n: number) => void,
  ) {
    this.#stream = new FdStream(fd);
    watcher.add(fd, () => this.#readable(), true); // urgent: never held by a watcher's rate limit
  }

  /** Queues one message. */
  send(msg: unknown): void {
    if (this.#closed) return;
    this.#queue.push(frame(msg));
    this.#flush();
  }

  /** Sends what is queued (best effort), then closes our end; the other side sees EOF. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#shut();
  }

  /**
   * Reads what has already arrived without waiting for the watcher: a child's first slice is written at
   * its spawn, so reading it at once takes the reactor thread's start off the start-up path. A read that
   * finds nothing costs one recv; the watcher's later report of the same bytes finds nothing either.
   */
  poll(): void {
    this.#readable();
  }

  /** True once the other end has gone or close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #flush(): void {
    if (this.#retry) return;
    try {
      while (this.#queue.length) {
        const head = this.#queue[0]!;
        const n = this.#stream.write(head);
        if (n === head.length) {
          this.#queue.shift();
          continue;
        }
        if (n > 0) this.#queue[0] = head.subarray(n);
        // The peer is slow: try again shortly (messages are small and rare; this is not a hot path).
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          this.#flush();
        }, 5);
        return;
      }
    } catch {
      this.#gone();
    }
  }

  #readable(): void {
    if (this.#closed) return;
    const { chunks, eof } = this.#stream.readAvailable();
    for (const c of chunks) this.#data(c);
    if (eof) this.#gone();
  }

  #data(chunk: Uint8Array): void {
    // Only the bytes up to a newline are joined and decoded, once: re-splitting everything buffered on
    // each read made a multi-megabyte message quadratic.
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      let bytes = chunk.subarray(start, nl);
      if (this.#partial.length) {
        this.#partial.push(bytes);
        bytes = Buffer.concat(this.#partial);
        this.#partial = [];
      }
      start = nl + 1;
      if (bytes.length) this.#line(this.#decoder.decode(bytes));
      // Told once the message was handled: a collection it triggers finds its garbage, not half a message.
      this.onBytes?.(bytes.length + 1);
    }
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
  }

  #line(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      raw = { unparseable: line.slice(0, 200) };
    }
    this.onMessage(raw);
  }

  #shut(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.watcher.remove(this.#stream.fd);
    this.#stream.close();
  }

  #gone(): void {
    if (this.#closed) return;
    this.#shut();
    this.onClose();
  }
}
