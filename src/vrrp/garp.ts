/**
 * Gratuitous ARP (IPv4) and unsolicited Neighbour Advertisements (IPv6) for a new master's virtual
 * addresses, as whole Ethernet frames on an AF_PACKET socket, so they leave from the VMAC or the real MAC
 * exactly as chosen. Frames come from src/proto/arp.ts and src/proto/ndisc.ts.
 */
import { SOCK_RAW, Socket } from "../ffi/socket.ts";
import { AF_PACKET, sockaddrLl } from "../ffi/sockaddr.ts";
import { encodeGratuitousArp } from "../proto/arp.ts";
import { encodeUnsolicitedNaFrame } from "../proto/ndisc.ts";

/** Sends announcement frames; one socket serves every interface. */
export class Announcer {
  #sock: Socket | undefined;
  /** Frames sent, for stats. */
  sent = 0;

  #socket(): Socket {
    // Protocol 0: a send-only packet socket (it receives nothing).
    this.#sock ??= new Socket(AF_PACKET, SOCK_RAW, 0, 64);
    return this.#sock;
  }

  /** One gratuitous ARP for `vip` from `mac` on interface `ifindex`. */
  garp(ifindex: number, mac: string, vip: string): void {
    this.#socket().sendTo(encodeGratuitousArp(mac, vip), sockaddrLl(ifindex, 0x0806));
    this.sent++;
  }

  /** One unsolicited NA for `vip` from `mac` on interface `ifindex`. */
  na(ifindex: number, mac: string, vip: string, router: boolean): void {
    this.#socket().sendTo(encodeUnsolicitedNaFrame({ mac, vip, router }), sockaddrLl(ifindex, 0x86dd));
    this.sent++;
  }

  /** Closes the socket. */
  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }
}

/** Something that sends announcements (Announcer, or a fake in tests). */
export type AnnounceSink = Pick<Announcer, "garp" | "na">;

/**
 * vrrp_garp_interval / vrrp_gna_interval / garp_group: at most one gratuitous ARP (or one NA) per
 * interval on one interface; extra ones wait their turn in order. An interval of 0 sends at once.
 */
export class PacedAnnouncer implements AnnounceSink {
  readonly #queues = new Map<string, { jobs: (() => void)[]; busy: boolean }>();

  constructor(
    readonly inner: AnnounceSink,
    readonly sched: { after(ms: number, f: () => void): unknown },
    /** Interval in ms for (interface index, kind). */
    readonly intervalMs: (ifindex: number, kind: "garp" | "na") => number,
  ) {}

  garp(ifindex: number, mac: string, vip: string): void {
    this.#send(ifindex, "garp", () => this.inner.garp(ifindex, mac, vip));
  }

  na(ifindex: number, mac: string, vip: string, router: boolean): void {
    this.#send(ifindex, "na", () => this.inner.na(ifindex, mac, vip, router));
  }

  #send(ifindex: number, kind: "garp" | "na", job: () => void): void {
    const ms = this.intervalMs(ifindex, kind);
    if (ms <= 0) return job();
    const key = `${ifindex}/${kind}`;
    const q = this.#queues.get(key) ?? { jobs: [], busy: false };
    this.#queues.set(key, q);
    q.jobs.push(job);
    if (!q.busy) this.#next(q, ms);
  }

  #next(q: { jobs: (() => void)[]; busy: boolean }, ms: number): void {
    const job = q.jobs.shift();
    if (!job) {
      q.busy = false;
      return;
    }
    q.busy = true;
    try {
      job();
    } finally {
      this.sched.after(ms, () => this.#next(q, ms));
    }
  }
}
