/**
 * epoll(7) constants and the struct epoll_event layout, shared by the reactor and its worker.
 * x86-64 packs epoll_event to 12 bytes; other LP64 ABIs (arm64) pad it to 16.
 */

/** EPOLLIN. */
export const EPOLLIN = 0x001;
/** EPOLLERR. */
export const EPOLLERR = 0x008;
/** EPOLLHUP. */
export const EPOLLHUP = 0x010;
/** EPOLLET (edge triggered). */
export const EPOLLET = 1 << 31;
/** epoll_ctl operations. */
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
/** EPOLL_CLOEXEC / EFD_CLOEXEC / EFD_NONBLOCK. */
export const EPOLL_CLOEXEC = 0o2000000, EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;

/** Size of struct epoll_event on this architecture. */
export const EVENT_SIZE = process.arch === "x64" ? 12 : 16;
/** Offset of epoll_data in struct epoll_event. */
export const DATA_OFFSET = process.arch === "x64" ? 4 : 8;

/** Encodes one epoll_event with a numeric token. */
export function epollEvent(events: number, token: number): Uint8Array {
  const b = new Uint8Array(EVENT_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, events >>> 0, true);
  dv.setBigUint64(DATA_OFFSET, BigInt(token), true);
  return b;
}
