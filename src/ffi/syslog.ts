/**
 * A datagram socket to the local syslog daemon (/dev/log), as glibc's syslog(3) uses. Missing /dev/log
 * is not an error: the sink stays closed and retries on a later message.
 */
import { SOCK_DGRAM, Socket } from "./socket.ts";
import { AF_UNIX, sockaddrUn } from "./sockaddr.ts";

/** Sends pre-formatted RFC 3164 lines to /dev/log. */
export class SyslogSocket {
  #sock: Socket | undefined;
  #lastTry = -Infinity;
  constructor(readonly path = "/dev/log") {}

  /** Sends one datagram; returns false when syslog is unreachable. */
  send(line: string): boolean {
    if (!this.#sock) {
      const now = performance.now();
      if (now - this.#lastTry < 5000) return false;
      this.#lastTry = now;
      try {
        const s = new Socket(AF_UNIX, SOCK_DGRAM, 0, 16);
        try {
          s.connect(sockaddrUn(this.path));
        } catch (e) {
          s.close();
          throw e;
        }
        this.#sock = s;
      } catch {
        return false;
      }
    }
    try {
      this.#sock.sendTo(new TextEncoder().encode(line), null);
      return true;
    } catch {
      this.#sock.close();
      this.#sock = undefined;
      return false;
    }
  }

  /** Closes the socket. */
  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }
}
