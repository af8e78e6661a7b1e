/**
 * A TUN device that lives exactly as long as we hold its file descriptor (Linux
 * Documentation/networking/tuntap.rst: TUNSETIFF without TUNSETPERSIST). When the process holding the fd
 * exits for any reason, kill -9 included, the kernel unregisters the device and with it every address on
 * it; the BGP announcer (src/bgp/) puts announced prefixes there for that reason. The fd is opened
 * O_CLOEXEC so no child process keeps the device alive after its owner is gone. We never read or write
 * packets on it.
 */
import { check, cstr, libc } from "./libc.ts";

const O_RDWR = 0o2, O_CLOEXEC = 0o2000000;
/** TUNSETIFF = _IOW('T', 202, int); TUNSETPERSIST = _IOW('T', 203, int). */
const TUNSETIFF = 0x400454ca, TUNSETPERSIST = 0x400454cb;
const IFF_TUN = 0x0001, IFF_NO_PI = 0x1000;
/** IFNAMSIZ - 1. */
export const TUN_NAME_MAX = 15;

/** An open, non-persistent TUN device. */
export interface TunDevice {
  /** The interface name the kernel gave it (the requested one). */
  readonly name: string;
  /** Closes the fd: the kernel deletes the device and its addresses. Idempotent. */
  close(): void;
}

/** Creates the TUN device `name` (IFF_TUN, no packet info); throws SysError naming the device. */
export function openTun(name: string): TunDevice {
  if (name.length === 0 || name.length > TUN_NAME_MAX) {
    throw new Error(`TUN device name '${name}' must be 1..${TUN_NAME_MAX} characters`);
  }
  const fd = check("open /dev/net/tun", libc.open(cstr("/dev/net/tun"), O_RDWR | O_CLOEXEC, 0));
  const ifr = new Uint8Array(40); // struct ifreq: char ifr_name[16]; short ifr_flags; padding
  ifr.set(new TextEncoder().encode(name), 0);
  new DataView(ifr.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
  try {
    check("ioctl TUNSETIFF", libc.ioctl(fd, TUNSETIFF, ifr), name);
    // A persistent TUN device left by someone else under this name would be attached, not created, and
    // would outlive us: clear the flag so the device always dies with our fd.
    check("ioctl TUNSETPERSIST 0", libc.ioctl(fd, TUNSETPERSIST, null), name);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  let open = true;
  return {
    name,
    close: () => {
      if (!open) return;
      open = false;
      libc.close(fd);
    },
  };
}
