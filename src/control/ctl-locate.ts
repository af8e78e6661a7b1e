/**
 * Where `keepalived ctl` finds the daemon's control socket when -s does not say: as the daemon itself
 * decides it (src/control/service.ts socketPath, src/procs/instance.ts), from the same configuration
 * file. `control_socket PATH` there is the path; otherwise the socket follows the parent's pid file, which
 * -p gives, or else the file's `instance NAME`, `use_pid_dir` and `net_namespace` (--instance NAME
 * standing for the file's instance), as keepalived names its pid files for those options. Without -f the
 * default configuration file is read when it exists, as the daemon would read it.
 */
import { existsSync } from "node:fs";
import { loadConfig } from "../config/index.ts";
import { pidFiles } from "../core/instance-files.ts";
import { configIdDefault } from "../procs/common.ts";
import { DEFAULT_PID_FILE, defaultControlPath } from "./socket-path.ts";

/** The daemon's default configuration file. */
export const DEFAULT_CONFIG_FILE = "/etc/keepalived/keepalived.conf";

/** What of a configuration decides the socket's path. */
export interface CtlNaming {
  instance: string | null;
  usePidDir: boolean;
  namespace: string | null;
  /** `control_socket`: null = none (off); path null = the default path. */
  controlSocket: { path: string | null } | null;
}

/** Reads the naming from configuration file `file` (undefined: no such file); throws when it cannot be read. */
export type ReadNaming = (file: string, configId: string | null) => CtlNaming | undefined;

/** Where to look, from ctl's options. */
export interface CtlWhere {
  socket?: string;
  pid?: string;
  file?: string;
  configId?: string;
  instance?: string;
}

/** A reason the socket cannot be found (printed with the usage). */
export class CtlLocateError extends Error {}

/** The configuration file's naming, through the configuration loader. */
export const readNaming: ReadNaming = (file, configId) => {
  if (!existsSync(file)) return undefined;
  const g = loadConfig(file, { configId: configId ?? configIdDefault() }).config.global;
  return { instance: g.instanceName, usePidDir: g.usePidDir, namespace: g.netNamespace ?? null, controlSocket: g.controlSocket };
};

/** The control socket path for `w`. Throws CtlLocateError. */
export function ctlSocketPath(w: CtlWhere, read: ReadNaming = readNaming): string {
  if (w.socket !== undefined) return w.socket;
  const file = w.file ?? DEFAULT_CONFIG_FILE;
  let n: CtlNaming | undefined;
  try {
    n = read(file, w.configId ?? null);
  } catch (e) {
    throw new CtlLocateError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (n === undefined && w.file !== undefined) throw new CtlLocateError(`cannot read ${file}: no such file`);
  if (n?.controlSocket === null) throw new CtlLocateError(`${file} has control_socket none: the daemon has no control socket`);
  if (n?.controlSocket.path) return n.controlSocket.path;
  if (w.pid !== undefined) return defaultControlPath(w.pid);
  const instance = w.instance ?? n?.instance ?? null;
  const parent = pidFiles({ given: {}, instance, usePidDir: n?.usePidDir ?? false, namespace: n?.namespace ?? null }).parent;
  return defaultControlPath(parent === "/run/keepalived.pid" ? DEFAULT_PID_FILE : parent);
}
