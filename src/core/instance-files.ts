/**
 * The file names keepalived 2.2.7 derives from the top-level `instance NAME`, `use_pid_dir` and global
 * `data_use_instance` (its main.c, and what it does here): `use_pid_dir`, or an `instance` (which implies
 * it), puts the pid files in /run/keepalived/ (created at start, removed at the end when empty); an
 * instance NAME gives them the names keepalived_NAME.pid, vrrp_NAME.pid, checkers_NAME.pid and
 * bfd_NAME.pid, and the syslog idents Keepalived_NAME, Keepalived_vrrp_NAME, ...; a pid file given on the
 * command line (-p/-r/-c/-b) is kept as given. With `data_use_instance` and an instance, the USR1 data
 * files carry ".NAME" before their extension (/tmp/keepalived.NAME.data, keepalived_parent.NAME.data);
 * keepalived.stats and keepalived.json keep their names. A top-level `net_namespace NS` implies the pid
 * directory too, one level down: keepalived 2.2.7 bind-mounts /run/keepalived/NS over /run/keepalived in
 * its own mount namespace, so its files show as /run/keepalived/NS/keepalived.pid (with an instance:
 * keepalived_NAME.pid), and its syslog idents become Keepalived_NS (Keepalived_NS_NAME with an instance).
 * We write to those paths directly.
 */

/** The pid files of the four processes. */
export interface PidFiles {
  parent: string;
  vrrp: string;
  check: string;
  bfd: string;
}

/** keepalived's run directory and its own directory under it. */
export const RUN_DIR = "/run";
export const PID_DIR = "/run/keepalived";

const BASES: Readonly<PidFiles> = { parent: "keepalived", vrrp: "vrrp", check: "checkers", bfd: "bfd" };

/** What the pid file names depend on. */
export interface PidNaming {
  /** Pid files given on the command line, by process. */
  given: Partial<PidFiles>;
  instance: string | null;
  usePidDir: boolean;
  /** `net_namespace`: a subdirectory of the pid directory. */
  namespace?: string | null;
}

/** Whether the pid files live in keepalived's own directory (use_pid_dir, or an instance). */
export function usesPidDir(n: Pick<PidNaming, "instance" | "usePidDir" | "namespace">): boolean {
  return n.usePidDir || n.instance !== null || (n.namespace ?? null) !== null;
}

/** The directory of the pid files (and of a relative reload_file). `run` stands for /run (tests). */
export function pidDir(n: Pick<PidNaming, "instance" | "usePidDir" | "namespace">, run = RUN_DIR): string {
  if (!usesPidDir(n)) return run;
  return n.namespace ? `${run}/keepalived/${n.namespace}` : `${run}/keepalived`;
}

/** The pid file of each process. `run` stands for /run (tests). */
export function pidFiles(n: PidNaming, run = RUN_DIR): PidFiles {
  const dir = pidDir(n, run);
  const name = (p: keyof PidFiles): string => n.given[p] ?? `${dir}/${BASES[p]}${n.instance !== null ? `_${n.instance}` : ""}.pid`;
  return { parent: name("parent"), vrrp: name("vrrp"), check: name("check"), bfd: name("bfd") };
}

/** A syslog ident with the instance name, as keepalived's make_syslog_ident builds it. */
export function instanceIdent(ident: string, instance: string | null, namespace: string | null = null): string {
  return `${ident}${namespace === null ? "" : `_${namespace}`}${instance === null ? "" : `_${instance}`}`;
}

/** The instance name USR1 data files carry: the instance when data_use_instance is set, else none. */
export function dataInstance(g: { readonly dataUseInstance: boolean; readonly instanceName: string | null }): string | null {
  return g.dataUseInstance ? g.instanceName : null;
}

/** `path` with ".NAME" before its extension ("/tmp/keepalived_parent.data" -> "/tmp/keepalived_parent.NAME.data"). */
export function withInstance(path: string, instance: string | null): string {
  if (instance === null) return path;
  const m = /^(.*?)(\.[^./]*)?$/.exec(path)!;
  return `${m[1]}.${instance}${m[2] ?? ""}`;
}
