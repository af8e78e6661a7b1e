/**
 * Gratuitous ARP (IPv4) and unsolicited Neighbour Advertisements (IPv6) for a new master's virtual
 * addresses, as whole Ethernet frames on an AF_PACKET socket, so they leave from the VMAC or the real MAC
 * exactly as chosen. Frames come from src/proto/arp.ts and src/proto/ndisc.ts.
 */
import { Socket, SOCK_RAW } from "../ffi/socket.ts";
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
