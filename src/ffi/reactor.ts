/**
 * Readiness of FFI-created fds without blocking Bun's event loop. The main thread owns an epoll set and
 * every fd in it (edge triggered); one worker thread blocks in epoll_wait and posts ready tokens. Callers
 * drain their fd (recv until EAGAIN) in the callback. Timers, Bun sockets, spawn and signals keep working
 * on the main thread. Design and measurements: docs/design.md.
 */
import { rtGuard } from "../core/rt-guard.ts";
import { check, closeQuietly, libc } from "./libc.ts";
import { EFD_CLOEXEC, EFD_NONBLOCK, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLET, epollEvent, EPOLLIN } from "./epoll.ts";

/** Called on the main thread when an fd may have data; it must read until EAGAIN. */
export type ReadyCallback = () => void;

/** The fd-readiness half of a child's loop. */
export interface FdWatcher {
  /**
   * Watches `fd` for input; `onReady` runs on the main thread. `urgent`: its readiness is not held back by
   * a coalescing window (only rate limited to one wake per URGENT window), for events whose timing matters.
   */
  add(fd: number, onReady: ReadyCallback, urgent?: boolean): void;
  /** Stops watching `fd` (the caller still owns and closes it). */
  remove(fd: number): void;
  /** Stops the worker and closes the epoll set. */
  close(): void;
}

/** Worker-thread epoll reactor. */
export class Reactor implements FdWatcher {
  readonly #epfd: number;
  readonly #stopFd: number;
  /** Urgent fds, also watched here: the worker waits on this set during its coalescing window. */
  readonly #urgentEpfd: number;
  readonly #callbacks = new Map<number, ReadyCallback>();
  #worker: Worker | undefined;
  #closed = false;
  /** Wakes delivered to callbacks, for stats. */
  wakes = 0;

  /**
   * `coalesceUs`: a rate limit. The first readiness after a quiet spell is posted at once; after each post
   * the worker sleeps this long, so busy fds cost one main-thread wake per window instead of one per
   * datagram, and what arrives meanwhile waits at most this long. 0 = every readiness at once.
   */
  constructor(readonly coalesceUs = 0) {
    this.#epfd = check("epoll_create1", libc.epoll_create1(EPOLL_CLOEXEC));
    this.#stopFd = check("eventfd", libc.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    check("epoll_ctl", libc.epoll_ctl(this.#epfd, EPOLL_CTL_ADD, this.#stopFd, epollEvent(EPOLLIN, this.#stopFd)));
    this.#urgentEpfd = check("epoll_create1", libc.epoll_create1(EPOLL_CLOEXEC));
  }

  #start(): void {
    // Compiled, the worker is a second entry point stored beside main under the entry points' common root
    // (src/): /$bunfs/root/ffi/reactor-worker.js, named relative to main. From source, relative to this file.
    const compiled = import.meta.url.includes("$bunfs");
    const w = compiled ? new Worker("./ffi/reactor-worker.ts") : new Worker(new URL("./reactor-worker.ts", import.meta.url));
    w.onmessage = (ev: MessageEvent<number[] | "stopped">) => {
      if (ev.data === "stopped") return;
      for (const fd of ev.data) {
        const cb = this.#callbacks.get(fd);
        if (cb) {
          this.wakes++;
          cb();
          rtGuard.checkpoint();
        }
      }
    };
    // A worker that cannot start would leave every fd silent: that is fatal for the child (the watchdog restarts it).
    w.onerror = (ev: ErrorEvent) => {
      process.stderr.write(`reactor worker failed: ${ev.message}\n`);
      process.exit(70);
    };
    w.postMessage({ epfd: this.#epfd, stopToken: this.#stopFd, coalesceUs: this.coalesceUs, urgentEpfd: this.#urgentEpfd });
    w.unref();
    this.#worker = w;
  }

  add(fd: number, onReady: ReadyCallback, urgent = false): void {
    if (this.#closed) throw new Error("reactor is closed");
    if (this.#callbacks.has(fd)) throw new Error(`fd ${fd} is already watched`);
    this.#callbacks.set(fd, onReady);
    check("epoll_ctl", libc.epoll_ctl(this.#epfd, EPOLL_CTL_ADD, fd, epollEvent(EPOLLIN | EPOLLET, fd)), `(add fd ${fd})`);
    if (urgent && this.coalesceUs > 0) {
      check("epoll_ctl", libc.epoll_ctl(this.#urgentEpfd, EPOLL_CTL_ADD, fd, epollEvent(EPOLLIN | EPOLLET, fd)), `(add urgent fd ${fd})`);
    }
    if (!this.#worker) this.#start();
    // Edge triggered: data that arrived before registration would never wake us, so look once now.
    queueMicrotask(() => this.#callbacks.get(fd)?.());
  }

  remove(fd: number): void {
    if (!this.#callbacks.delete(fd)) return;
    libc.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, null);
    libc.epoll_ctl(this.#urgentEpfd, EPOLL_CTL_DEL, fd, null); // ENOENT when it was not urgent
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#callbacks.clear();
    libc.write(this.#stopFd, new BigUint64Array([1n]), 8);
    const w = this.#worker;
    // The worker exits on the stop token; closing the epoll fd before it returns would be a use after close.
    if (w) {
      w.addEventListener("message", (ev: MessageEvent) => {
        if (ev.data === "stopped") {
          closeQuietly(this.#epfd);
          closeQuietly(this.#stopFd);
          closeQuietly(this.#urgentEpfd);
        }
      });
    } else {
      closeQuietly(this.#epfd);
      closeQuietly(this.#stopFd);
      closeQuietly(this.#urgentEpfd);
    }
  }
}
