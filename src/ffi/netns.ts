/**
 * Network namespaces by name, as `ip netns` keeps them (/run/netns/NAME, a bind mount of the namespace
 * file), through setns(2). setns moves only the calling thread; the callers run on the main thread and
 * either re-execute the process right after (net_namespace: every thread of the new image starts there) or
 * go back at once (net_namespace_ipvs: one socket opened in another namespace keeps it for its lifetime).
 * /sys/class/net shows the interfaces of the namespace sysfs was mounted from, so the daemon also gets a
 * mount namespace of its own with sysfs mounted again (what `ip netns exec` and keepalived do).
 */
import { statSync } from "node:fs";
import { check, cstr, libc } from "./libc.ts";

export const NETNS_DIR = "/run/netns";
const CLONE_NEWNET = 0x40000000, CLONE_NEWNS = 0x20000;
const MS_REC = 0x4000, MS_SLAVE = 0x80000, MNT_DETACH = 2;
const O_RDONLY_CLOEXEC = 0o2000000;

/** The file of a named namespace ("" = the initial namespace, pid 1's). */
export function netnsPath(name: string): string {
  return name === "" ? "/proc/1/ns/net" : `${NETNS_DIR}/${name}`;
}

/**
 * The file net_namespace_ipvs names: keepalived 2.2.7 looks in /var/run/netns there (and in /run/netns
 * for net_namespace), the same directory on a system where /var/run links to /run; "" = pid 1's.
 */
export function ipvsNetnsPath(name: string): string {
  return name === "" ? "/proc/1/ns/net" : `/var/run/netns/${name}`;
}

/** Whether the calling thread is already in namespace `name` (false when it does not exist). */
export function inNetns(name: string): boolean {
  try {
    const a = statSync(netnsPath(name)), b = statSync("/proc/thread-self/ns/net");
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

function enter(path: string): void {
  const fd = check("open", libc.open(cstr(path), O_RDONLY_CLOEXEC, 0), path);
  try {
    check("setns", libc.setns(fd, CLONE_NEWNET), path);
  } finally {
    libc.close(fd);
  }
}

/** Moves the calling thread into namespace `name`; throws SysError (ENOENT when there is no such namespace). */
export function enterNetns(name: string): void {
  enter(netnsPath(name));
}

/**
 * Moves the calling thread into namespace `name` for good, in a mount namespace of its own whose /sys is
 * NAME's sysfs (mounts under / become slaves, so none of ours reach the host). Throws SysError.
 */
export function enterNetnsForGood(name: string): void {
  enterNetns(name);
  check("unshare", libc.unshare(CLONE_NEWNS), "CLONE_NEWNS");
  check("mount", libc.mount(cstr("none"), cstr("/"), null, BigInt(MS_REC | MS_SLAVE), null), "/ as slave");
  check("umount2", libc.umount2(cstr("/sys"), MNT_DETACH), "/sys");
  check("mount", libc.mount(cstr(name), cstr("/sys"), cstr("sysfs"), 0n, null), "sysfs on /sys");
}

/** Runs `fn` with the calling thread in the namespace file `path`, then returns it to the namespace it was in. */
export function inNamespace<T>(path: string, fn: () => T): T {
  const back = check("open", libc.open(cstr("/proc/thread-self/ns/net"), O_RDONLY_CLOEXEC, 0), "own namespace");
  try {
    enter(path);
    try {
      return fn();
    } finally {
      check("setns", libc.setns(back, CLONE_NEWNET), "own namespace");
    }
  } finally {
    libc.close(back);
  }
}
