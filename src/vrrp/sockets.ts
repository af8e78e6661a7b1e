/**
 * The VRRP child's sockets, one set per (receive interface, send interface, family, protocol, source): opened
 * on demand, each read by an RxPump (src/core/rx-pump.ts), sized by vrrp_rx_bufs_policy /
 * kernel_rx_buf_size (src/vrrp/rx-bufs.ts), closed when no instance uses them any more. An open that
 * fails (a link-local source still tentative at boot: bind EADDRNOTAVAIL; a socket option the kernel
 * refuses) is returned as text, so the instance can go FAULT with it and be retried
 * (src/vrrp/socket-faults.ts). Kernel drops (SO_RXQ_OVFL) and buffer sizes are kept for /metrics and dumps.
 * A socket left at the system default size (no vrrp_rx_bufs_policy, no kernel_rx_buf_size) whose queue
 * overflows gets twice the buffer, up to AUTO_GROW_MAX times the size it started with (beyond keepalived,
 * which keeps the default): a flood then costs kernel memory rather than the master's adverts.
 */
import type { Family } from "../core/inet.ts";
import type { Logger } from "../core/log.ts";
import { RxPump } from "../core/rx-pump.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import type { RxPacket, TransportLike, TransportOptions } from "./transport.ts";

/** What a socket set reports for /metrics and dumps. */
export interface SocketView {
  key: string;
  ifname: string;
  family: Family;
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
  /** A datagram for a VRID no instance on `key` listens for was dropped (log_unknown_vrids). */
  unknown?(ifname: string, vrid: number): void;
  /** The instances on `key`, by VRID (for the polling period: calmPeriod). */
  instances(key: string): readonly (readonly { state: string; cfg: { advertIntMs: number } }[] | undefined)[] | undefined;
}

/** The receive socket's polling period while busy, ms (RxPump). */
export const BUSY_PERIOD_MS = 50;
/** The longest polling period of a socket with a priority-0 socket beside it, ms, per advert interval it waits. */
export const CALM_PERIOD_MS = 100;
/** Reads without a kernel drop after which a calm socket waits two advert intervals instead of one. */
export const QUIET_READS = 50;

/**
 * How often a busy receive socket is read. While no instance on it is MASTER and a priority-0 socket
 * stands beside it (VrrpTransport.urgent, which wakes the child at once for a master giving up), nothing
 * it carries is urgent: the Master_Down_Timers run from the kernel's receive times and read the socket
 * before they act, so it is read once per `intervals` advert intervals (at most `intervals` ×
 * CALM_PERIOD_MS) instead of every BUSY_PERIOD_MS. A MASTER on it must hear a higher priority soon:
 * BUSY_PERIOD_MS. The caller asks for two intervals only while the queue has not overflowed for
 * QUIET_READS reads: under a flood a longer wait would overflow the queue and lose the master's adverts.
 */
export function pollPeriod(urgent: boolean, lists: ReturnType<SocketSinks["instances"]>, intervals = 1): number {
  if (!urgent || !lists) return BUSY_PERIOD_MS;
  let ms = intervals * CALM_PERIOD_MS;
  for (const list of lists) {
    for (const r of list ?? []) {
      if (r.state === "MASTER") return BUSY_PERIOD_MS;
      ms = Math.min(ms, intervals * r.cfg.advertIntMs);
    }
  }
  return Math.max(BUSY_PERIOD_MS, ms);
}

interface Entry {
  t: TransportLike;
  pump: RxPump;
  o: TransportOptions;
  /** The SO_RCVBUF we asked for; undefined = system default. */
  asked: number | undefined;
  /** Kernel drops seen so far, and the buffer size before we first raised it (0: never raised). */
  drops: number;
  start: number;
  /** Reads since the kernel last dropped a datagram of this socket (counted up to QUIET_READS). */
  quiet: number;
}

/** A default-sized socket that overflows grows to at most this many times its first size. */
export const AUTO_GROW_MAX = 8;

/** All VRRP sockets of the child. */
export class VrrpSockets {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly log: Logger,
    readonly sched: Scheduler,
    readonly watcher: FdWatcher,
    readonly open: (o: TransportOptions) => TransportLike,
    readonly sinks: SocketSinks,
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
    const wants = (vrid: number) => {
      if (s.wants(key, vrid)) return true;
      s.unknown?.(o.ifname, vrid);
      return false;
    };
    const drops = t.rxDrops === undefined ? undefined : () => t.rxDrops ?? 0;
    const read = () => {
      const n = t.drain(onPacket, onError, onRepeat, wants);
      if ((t.rxDrops ?? 0) > e.drops) {
        this.#overflowed(e);
        e.quiet = 0;
      } else if (e.quiet < QUIET_READS) e.quiet++;
      // Without a drop count (no SO_RXQ_OVFL) a flood cannot be seen: one interval.
      pump.setPeriod(pollPeriod(t.urgent !== undefined, s.instances(key), t.rxDrops !== undefined && e.quiet >= QUIET_READS ? 2 : 1));
      return n;
    };
    const pump = new RxPump(t.rx.fd, read, this.watcher, this.sched, BUSY_PERIOD_MS, drops);
    const e: Entry = { t, pump, o, asked: undefined, drops: 0, start: 0, quiet: 0 };
    this.#entries.set(key, e);
    const u = t.urgent;
    // A master giving up: read the receive socket now (the advert is there too, in order).
    if (u) this.watcher.add(u.fd, () => void (u.discardQueued() && pump.readNow()), true);
    return undefined;
  }

  /** The queue of a default-sized socket overflowed: double its buffer, up to AUTO_GROW_MAX times the first size. */
  #overflowed(e: Entry): void {
    const before = e.drops;
    e.drops = e.t.rxDrops ?? 0;
    if (e.asked !== undefined || !e.t.forceRxBuffer || !e.t.rxBufferBytes) return;
    try {
      const now = e.t.rxBufferBytes(); // the kernel's figure: twice what was set
      if (!e.start) e.start = now;
      if (now >= e.start * AUTO_GROW_MAX) return;
      const got = e.t.forceRxBuffer(Math.min(now, (e.start * AUTO_GROW_MAX) / 2));
      this.log.warn(`VRRP socket on ${e.o.ifname} overflowed (${e.drops - before} datagrams dropped by the kernel); receive buffer ${now} -> ${got} bytes`);
    } catch (err) {
      this.log.warn(`VRRP socket on ${e.o.ifname}: cannot raise the receive buffer: ${(err as Error).message}`);
    }
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
    if (e.t.urgent) this.watcher.remove(e.t.urgent.fd);
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
