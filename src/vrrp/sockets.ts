/**
 * The VRRP child's sockets, one set per (receive interface, send interface, family, protocol, source): opened
 * on demand, each read by an RxPump (src/core/rx-pump.ts), sized by vrrp_rx_bufs_policy /
 * kernel_rx_buf_size (src/vrrp/rx-bufs.ts), closed when no instance uses them any more. An open that
 * fails (a link-local source still tentative at boot: bind EADDRNOTAVAIL; a socket option the kernel
 * refuses) is returned as text, so the instance can go FAULT with it and be retried
 * (src/vrrp/socket-faults.ts). Kernel drops (SO_RXQ_OVFL) and buffer sizes are kept for /metrics and dumps.
 */
import type { Logger } from "../core/log.ts";
import { RxPump } from "../core/rx-pump.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import type { TransportLike } from "./runtime.ts";
import type { RxPacket, TransportOptions } from "./transport.ts";

/** What a socket set reports for /metrics and dumps. */
export interface SocketView {
  key: string;
  ifname: string;
  family: "ipv4" | "ipv6";
  /** Datagrams the kernel dropped because the receive queue was full. */
  drops: number;
  /** The receive buffer (SO_RCVBUF as the kernel reports it), bytes; 0 when unknown. */
  rxBufferBytes: number;
  /** Times the reader found the queue overflowed and sped up. */
  overflows: number;
}

/** Where received datagrams go. */
export interface SocketSinks {
  packet(key: string, p: RxPacket): void;
  error(key: string, ifname: string, reason: string): void;
  /** The last advert of `vrid` again (VrrpTransport.drain's onRepeat). */
  repeat(key: string, vrid: number, at: number): boolean;
  /** Whether an instance on `key` listens for `vrid` (others are dropped unread). */
  wants(key: string, vrid: number): boolean;
}

interface Entry {
  t: TransportLike;
  pump: RxPump;
  o: TransportOptions;
  /** The SO_RCVBUF we asked for; undefined = system default. */
  asked: number | undefined;
}

/** All VRRP sockets of the child. */
export class VrrpSockets {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly log: Logger, readonly sched: Scheduler, readonly watcher: FdWatcher,
    readonly open: (o: TransportOptions) => TransportLike, readonly sinks: SocketSinks,
  ) {}

  /** The transport of `key`, if open. */
  get(key: string): TransportLike | undefined {
    return this.#entries.get(key)?.t;
  }

  /** Opens the sockets of `key` unless open; returns why they cannot be opened, or undefined. */
  ensure(key: string, o: TransportOptions): string | undefined {
    if (this.#entries.has(key)) return undefined;
    let t: TransportLike;
    try {
      t = this.open(o);
    } catch (e) {
      return (e as Error).message;
    }
    const s = this.sinks;
    const onPacket = (p: RxPacket) => s.packet(key, p);
    const onError = (e: { reason: string }) => s.error(key, o.ifname, e.reason);
    const onRepeat = (vrid: number, at: number) => s.repeat(key, vrid, at);
    const wants = (vrid: number) => s.wants(key, vrid);
    const drops = t.rxDrops === undefined ? undefined : () => t.rxDrops ?? 0;
    const pump = new RxPump(t.rx.fd, () => t.drain(onPacket, onError, onRepeat, wants), this.watcher, this.sched, 50, drops);
    this.#entries.set(key, { t, pump, o, asked: undefined });
    return undefined;
  }

  /** Reads `key`'s socket now (a Master_Down_Timer about to act on silence). */
  readNow(key: string): void {
    this.#entries.get(key)?.pump.readNow();
  }

  /** Sets `key`'s receive buffer to `bytes` (undefined: leave the system default). */
  size(key: string, bytes: number | undefined): void {
    const e = this.#entries.get(key);
    if (!e || bytes === undefined || bytes === e.asked || !e.t.setRxBuffer) return;
    e.asked = bytes;
    try {
      const got = e.t.setRxBuffer(bytes);
      this.log.debug(`VRRP socket on ${e.o.ifname}: receive buffer ${bytes} bytes asked, ${got} granted`);
    } catch (err) {
      this.log.warn(`VRRP socket on ${e.o.ifname}: cannot set the receive buffer to ${bytes} bytes: ${(err as Error).message}`);
    }
  }

  /** Closes `key`'s sockets (a send that shows they are unusable); the next `ensure` opens new ones. */
  drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.pump.close();
    e.t.close();
    this.#entries.delete(key);
  }

  /** Closes every socket set whose key is not in `used`. */
  closeUnused(used: ReadonlySet<string>): void {
    for (const key of [...this.#entries.keys()]) if (!used.has(key)) this.drop(key);
  }

  /** Closes everything. */
  closeAll(): void {
    for (const key of [...this.#entries.keys()]) this.drop(key);
  }

  /** What each socket set reports. */
  views(): SocketView[] {
    return [...this.#entries].map(([key, e]) => {
      let rxBufferBytes = 0;
      try {
        rxBufferBytes = e.t.rxBufferBytes?.() ?? 0;
      } catch { /* closed under us: unknown */ }
      return { key, ifname: e.o.ifname, family: e.o.family, drops: e.t.rxDrops ?? 0, rxBufferBytes, overflows: e.pump.overflows };
    });
  }
}
