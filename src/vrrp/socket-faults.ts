/**
 * Instances that cannot open, bind or send on their VRRP sockets (no usable source address yet, a
 * link-local address still tentative during DAD, a refused socket option, a send that says the address
 * or device is gone). Such an instance is in FAULT with the reason (keepalived.conf(5): an instance that
 * cannot work is FAULT, never silently absent) and is retried: on the netlink reflector's address and
 * link events (`kick`) and every `retryMs` until it works.
 */
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";

/** Send errors that mean the sockets or their source address are unusable (retry by reopening). */
export const UNUSABLE_SEND_ERRORS: ReadonlySet<string> = new Set(["EADDRNOTAVAIL", "ENODEV", "ENXIO", "ENETDOWN", "EBADF", "EINVAL"]);

/** Socket faults by instance name, with their retry timer. */
export class SocketFaults {
  readonly #why = new Map<string, string>();
  #timer: TimerHandle | undefined;
  #kicked: TimerHandle | undefined;

  /** `retry` tries every faulty instance again (it calls `clear` for those that work now). */
  constructor(readonly sched: Scheduler, readonly retry: () => void, readonly retryMs = 1000) {}

  /** The reason `name` is faulty, if it is. */
  reason(name: string): string | undefined {
    return this.#why.get(name);
  }

  /** Names of the faulty instances. */
  names(): string[] {
    return [...this.#why.keys()];
  }

  /** Marks `name` faulty; true when the reason is new or changed (worth a log line). */
  set(name: string, reason: string): boolean {
    const changed = this.#why.get(name) !== reason;
    this.#why.set(name, reason);
    this.#arm();
    return changed;
  }

  /** `name` works (or is gone); true when it was faulty. */
  clear(name: string): boolean {
    const was = this.#why.delete(name);
    if (this.#why.size === 0) {
      this.sched.cancel(this.#timer);
      this.#timer = undefined;
    }
    return was;
  }

  /** Something changed on the network (an address finished DAD, a link came up): retry soon, once. */
  kick(): void {
    if (this.#why.size === 0 || this.#kicked) return;
    this.#kicked = this.sched.after(0, () => {
      this.#kicked = undefined;
      this.retry();
    });
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = this.sched.after(this.retryMs, () => {
      this.#timer = undefined;
      if (this.#why.size === 0) return;
      this.retry();
      this.#arm();
    });
  }

  /** Stops retrying. */
  stop(): void {
    this.sched.cancel(this.#timer);
    this.sched.cancel(this.#kicked);
    this.#timer = this.#kicked = undefined;
    this.#why.clear();
  }
}
