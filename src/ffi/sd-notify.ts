/**
 * sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET ("READY=1", "STATUS=…", "RELOADING=1",
 * "STOPPING=1"). A no-op when systemd did not ask for notifications.
 */
import { SOCK_DGRAM, Socket } from "./socket.ts";
import { AF_UNIX, sockaddrUn } from "./sockaddr.ts";

/** Sends `state` (newline-separated assignments) to the service manager; returns false when not possible. */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  let s: Socket | undefined;
  try {
    s = new Socket(AF_UNIX, SOCK_DGRAM, 0, 16);
    s.sendTo(new TextEncoder().encode(state), sockaddrUn(socketPath));
    return true;
  } catch {
    return false;
  } finally {
    s?.close();
  }
}
