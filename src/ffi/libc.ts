/**
 * libc bindings through bun:ffi. This file and its siblings in src/ffi/ are the only places that import
 * bun:ffi; everything else talks to the kernel through the narrow wrappers exported here.
 *
 * Assumes an LP64 Linux ABI (x86-64 or arm64): pointers and size_t are 8 bytes.
 */
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { errnoName } from "./errno.ts";

/** Names tried in order to open the C library; the build may put the target's own name first. */
function libcCandidates(): string[] {
  const preferred = (globalThis as { KA_LIBC?: string }).KA_LIBC ?? process.env.KA_LIBC_NAME;
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  const names = ["libc.so.6", `libc.musl-${arch}.so.1`, "libc.so"];
  return preferred ? [preferred, ...names.filter((n) => n !== preferred)] : names;
}

const { i32, u32, i64, u64, ptr: P, cstring } = FFIType;

const symbols = {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, P, u32], returns: i32 },
  connect: { args: [i32, P, u32], returns: i32 },
  setsockopt: { args: [i32, i32, i32, P, u32], returns: i32 },
  getsockopt: { args: [i32, i32, i32, P, P], returns: i32 },
  getsockname: { args: [i32, P, P], returns: i32 },
  sendto: { args: [i32, P, u64, i32, P, u32], returns: i64 },
  sendmsg: { args: [i32, P, i32], returns: i64 },
  sendmmsg: { args: [i32, P, u32, i32], returns: i32 },
  nanosleep: { args: [P, P], returns: i32 },
  recvmsg: { args: [i32, P, i32], returns: i64 },
  recvmmsg: { args: [i32, P, u32, i32, P], returns: i32 },
  recvfrom: { args: [i32, P, u64, i32, P, P], returns: i64 },
  read: { args: [i32, P, u64], returns: i64 },
  write: { args: [i32, P, u64], returns: i64 },
  close: { args: [i32], returns: i32 },
  open: { args: [P, i32, u32], returns: i32 },
  ioctl: { args: [i32, u64, P], returns: i32 },
  fcntl: { args: [i32, i32, i64], returns: i32 },
  epoll_create1: { args: [i32], returns: i32 },
  epoll_ctl: { args: [i32, i32, i32, P], returns: i32 },
  epoll_wait: { args: [i32, P, i32, i32], returns: i32 },
  poll: { args: [P, u64, i32], returns: i32 },
  eventfd: { args: [u32, i32], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  inotify_init1: { args: [i32], returns: i32 },
  inotify_add_watch: { args: [i32, P, u32], returns: i32 },
  inotify_rm_watch: { args: [i32, i32], returns: i32 },
  if_nametoindex: { args: [P], returns: u32 },
  if_indextoname: { args: [u32, P], returns: P },
  getpid: { args: [], returns: i32 },
  getppid: { args: [], returns: i32 },
  getuid: { args: [], returns: u32 },
  setsid: { args: [], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  umask: { args: [u32], returns: u32 },
  clock_gettime: { args: [i32, P], returns: i32 },
  localtime_r: { args: [P, P], returns: P },
  setns: { args: [i32, i32], returns: i32 },
  unshare: { args: [i32], returns: i32 },
  mount: { args: [P, P, P, u64, P], returns: i32 },
  umount2: { args: [P, i32], returns: i32 },
  socketpair: { args: [i32, i32, i32, P], returns: i32 },
  waitid: { args: [i32, i32, P, i32], returns: i32 },
  execve: { args: [P, P, P], returns: i32 },
  madvise: { args: [u64, u64, i32], returns: i32 },
  setpriority: { args: [i32, u32, i32], returns: i32 },
  getpriority: { args: [i32, u32], returns: i32 },
  sched_setscheduler: { args: [i32, i32, P], returns: i32 },
  sched_setaffinity: { args: [i32, u64, P], returns: i32 },
  setrlimit: { args: [i32, P], returns: i32 },
  getrlimit: { args: [i32, P], returns: i32 },
  getrusage: { args: [i32, P], returns: i32 },
  mlockall: { args: [i32], returns: i32 },
  munlockall: { args: [], returns: i32 },
  __errno_location: { args: [], returns: P },
  strerror: { args: [i32], returns: cstring },
} as const;

function openLibc() {
  let last: unknown;
  for (const name of libcCandidates()) {
    try {
      return dlopen(name, symbols);
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`cannot open the C library (tried ${libcCandidates().join(", ")}): ${String(last)}`);
}

/** The raw symbol table. Prefer the checked wrappers below. */
export const libc = openLibc().symbols;

// errno lives at a fixed address per thread; this module runs on the main thread only (the reactor
// worker has its own bindings), so the view is made once instead of on every failed call.
let errnoView: Int32Array | undefined;

/** The calling thread's errno, read right after a failed call. */
export function errno(): number {
  if (!errnoView) {
    const p = libc.__errno_location();
    if (p === null) return 0;
    errnoView = new Int32Array(toArrayBuffer(p, 0, 4));
  }
  return errnoView[0] ?? 0;
}

/** Zeroes errno, for calls whose every return value is valid (getpriority(2)). */
export function clearErrno(): void {
  errno();
  if (errnoView) errnoView[0] = 0;
}

/** A failed system call: `code` is the errno name (EAGAIN, EPERM, ...), `errno` its number. */
export class SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, err: number, detail?: string) {
    const name = errnoName(err);
    super(`${syscall}${detail ? ` ${detail}` : ""}: ${name} (${libc.strerror(err)})`);
    this.name = "SysError";
    this.code = name;
    this.errno = err;
    this.syscall = syscall;
  }
}

/** Throws SysError when `rc` is negative, else returns it as a number. */
export function check(syscall: string, rc: number | bigint, detail?: string): number {
  const n = typeof rc === "bigint" ? Number(rc) : rc;
  if (n < 0) throw new SysError(syscall, errno(), detail);
  return n;
}

/** Like check(), but returns -errno instead of throwing (for EAGAIN/EINTR-style retries). */
export function rcOrErrno(rc: number | bigint): number {
  const n = typeof rc === "bigint" ? Number(rc) : rc;
  return n < 0 ? -errno() : n;
}

/** A NUL-terminated copy of `s` suitable for a `const char *` argument. */
export function cstr(s: string): Uint8Array {
  const b = new TextEncoder().encode(s + "\0");
  return b;
}

/** Address of a typed array's first byte (for structs holding pointers). */
export function addressOf(buf: Uint8Array | BigUint64Array | Int32Array): number {
  return ptr(buf) as unknown as number;
}

/** Closes an fd, ignoring errors (used in cleanup paths). */
export function closeQuietly(fd: number): void {
  if (fd >= 0) libc.close(fd);
}

/** Sets O_NONBLOCK (and optionally FD_CLOEXEC) on an fd. */
export function setNonBlocking(fd: number): void {
  const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;
  const flags = check("fcntl(F_GETFL)", libc.fcntl(fd, F_GETFL, 0));
  check("fcntl(F_SETFL)", libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/** Interface index for a name, or 0 when there is no such interface. */
export function ifNameToIndex(name: string): number {
  return libc.if_nametoindex(cstr(name));
}

/** prctl(2) constants we use. */
export const PR_SET_PDEATHSIG = 1;
/** prctl(PR_SET_NAME). */
export const PR_SET_NAME = 15;

/** Asks the kernel to send `signal` to this process when its parent dies. */
export function setParentDeathSignal(signal: number): void {
  check("prctl(PR_SET_PDEATHSIG)", libc.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0));
}

const ts = new BigInt64Array(2);
/** CLOCK_MONOTONIC in nanoseconds: the same clock in every process (unlike performance.now()). */
export function monotonicNs(): bigint {
  libc.clock_gettime(1, ts);
  return ts[0]! * 1_000_000_000n + ts[1]!;
}

/** CLOCK_REALTIME in (fractional) milliseconds: the clock of kernel receive timestamps (SO_TIMESTAMPNS). */
export function realtimeMs(): number {
  libc.clock_gettime(0, ts);
  return Number(ts[0]!) * 1000 + Number(ts[1]!) / 1e6;
}

const sleepTs = new BigInt64Array(2);
/** Blocks the calling thread for `ms` (fractional) milliseconds, nanosleep(2); an interruption ends it early. */
export function sleepMs(ms: number): void {
  if (!(ms > 0)) return;
  const ns = Math.round(ms * 1e6);
  sleepTs[0] = BigInt(Math.floor(ns / 1e9));
  sleepTs[1] = BigInt(ns % 1e9);
  libc.nanosleep(sleepTs, null);
}

const timeT = new BigInt64Array(1);
// struct tm (LP64 glibc and musl): nine ints (sec, min, hour, mday, mon, year - 1900, wday, yday, isdst),
// then long tm_gmtoff and const char *tm_zone: 56 bytes.
const tm = new Int32Array(14);

/**
 * `epochMs` broken down in the local time zone by localtime_r(3) (TZ, else /etc/localtime), as the
 * logger's timestamps need it: JavaScriptCore's own local-time getters load ICU's time zone code.
 */
export function localTime(epochMs: number): {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  weekday: number;
} {
  timeT[0] = BigInt(Math.floor(epochMs / 1000));
  if (libc.localtime_r(timeT, tm) === null) throw new Error(`localtime_r: cannot convert ${epochMs}`);
  return { seconds: tm[0]!, minutes: tm[1]!, hours: tm[2]!, day: tm[3]!, month: tm[4]!, year: tm[5]! + 1900, weekday: tm[6]! };
}

/**
 * Sends all of `data` on the connected stream socket `fd`: what the kernel takes at once (MSG_DONTWAIT),
 * then the rest blocking; never SIGPIPE (MSG_NOSIGNAL). False when the peer is gone or nothing could be sent.
 */
export function sendWhole(fd: number, data: Uint8Array): boolean {
  let off = 0;
  let flags = 0x40 | 0x4000; // MSG_DONTWAIT | MSG_NOSIGNAL
  while (off < data.length) {
    const part = off === 0 ? data : data.subarray(off);
    const n = rcOrErrno(libc.sendto(fd, part, part.length, flags, null, 0));
    if (n === -4) continue; // EINTR
    if (n === -11 && off > 0) flags = 0x4000; // EAGAIN part-way: wait for the reader
    else if (n <= 0) return false;
    else off += n;
  }
  return true;
}

/** Clears `fd`'s close-on-exec flag (`keep`: it stays open, at the same number, across this process's execve), or sets it again. */
export function keepAcrossExec(fd: number, keep = true): void {
  check("fcntl(F_SETFD)", libc.fcntl(fd, 2, keep ? 0 : 1));
}

/** A connected AF_UNIX stream socket pair, both ends close-on-exec (a child gets its end through spawn's stdio). */
export function socketPair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", libc.socketpair(1, 1 | 0o2000000, 0, fds));
  return [fds[0]!, fds[1]!];
}
