/**
 * The small types every part of the configuration model (model.ts, model-check.ts, model-bfd.ts,
 * model-bgp.ts) shares, apart so that those files import this one and not each other.
 */

/** Where a configuration item came from. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

/** Address family of an address, route, rule or VRRP instance (src/core/inet.ts). */
export type { Family } from "../core/inet.ts";

/** A command to run: the quoted string re-split into argv, plus the optional run-as user/group. */
export interface ScriptSpec {
  /** The command line as written (after unquoting). */
  readonly cmd: string;
  /** argv, split by keepalived's rule (src/core/command-line.ts). argv[0] is the program. */
  readonly argv: readonly string[];
  /** Run-as user, null = `script_user` / default. */
  readonly user: string | null;
  /** Run-as group, null = the user's group. */
  readonly group: string | null;
  readonly src: SourceRef;
}
