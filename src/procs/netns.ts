/**
 * `net_namespace NAME` (top level): the whole daemon runs in the network namespace /run/netns/NAME, as
 * keepalived 2.2.7 does it (its parent and children are all there). The parent reads the configuration in
 * the namespace it was started in; when that is not NAME it moves its main thread there and re-executes
 * itself (same pid, same arguments and environment, the launcher's fd 3 kept; with its own mount namespace
 * where /sys is NAME's, src/ffi/netns.ts), so that every thread of the
 * new image, and every child it starts, is in NAME; the new image reads the configuration again, now with
 * NAME's interfaces. The pid file names and syslog idents that come with it are in src/procs/instance.ts.
 */
import { execSelf } from "../ffi/exec.ts";
import { enterNetnsForGood, inNetns, netnsPath } from "../ffi/netns.ts";
import { selfCommand } from "./self.ts";

/** Would enterConfiguredNetns(name) re-execute this process? */
export function needsNetnsExec(name: string | null): name is string {
  return name !== null && !inNetns(name);
}

/**
 * Re-executes the process inside namespace `name` unless it is there already. Returns only when nothing
 * was to be done (null) or on failure: then keepalived's lines for it, the last one the reason to exit.
 */
export function enterConfiguredNetns(name: string | null): string[] | null {
  if (!needsNetnsExec(name)) return null;
  try {
    enterNetnsForGood(name);
  } catch (e) {
    return [`Failed to open ${netnsPath(name)} (${(e as Error).message})`, `Unable to set network namespace ${name} - exiting`];
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const err = execSelf([...selfCommand(), ...process.argv.slice(2)], env);
  return [err, `Unable to set network namespace ${name} - exiting`];
}
