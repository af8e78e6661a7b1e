/** Linux errno numbers (asm-generic, shared by x86-64 and arm64) to their names, for typed errors. */
const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 9: "EBADF", 10: "ECHILD",
  11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 20: "ENOTDIR",
  21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 28: "ENOSPC", 32: "EPIPE", 34: "ERANGE", 38: "ENOSYS",
  40: "ELOOP", 61: "ENODATA", 71: "EPROTO", 75: "EOVERFLOW", 88: "ENOTSOCK", 90: "EMSGSIZE", 92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
  99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH", 103: "ECONNABORTED", 104: "ECONNRESET",
  105: "ENOBUFS", 106: "EISCONN", 107: "ENOTCONN", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH",
  114: "EALREADY", 115: "EINPROGRESS",
};

/** errno constants used by callers that retry. */
export const EINTR = 4, EAGAIN = 11, ENOENT = 2, EEXIST = 17, ESRCH = 3, ENOBUFS = 105, EADDRNOTAVAIL = 99;

/** The symbolic name of an errno value ("E123" when unknown). */
export function errnoName(n: number): string {
  return NAMES[n] ?? `E${n}`;
}
