/**
 * The VRRP child's first configuration, sent before the parent's own code is loaded. The early VRRP
 * child (prespawn.ts) is usually running and waiting for its slice by the time the file is parsed, while
 * the parent still loads its services' code and builds them (~3-4 ms on this host); sending the slice
 * right after the parse lets the child apply it meanwhile. Only when nothing the parent does between the
 * parse and the spawn must come first: the pid file is claimed before, and a `startup_script` (which
 * runs before any child starts) or `disable_local_igmp` (the child's environment gets the saved sysctl
 * value) leave it to the parent as before. Measured: bench/RESULTS.md ("2026-12-03, issue 12, the VRRP
 * child started before the re-exec").
 */
import type { CliOptions } from "../cli.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { needsRole, sliceFor } from "../config/index.ts";
import { envelope, type Role, ROLES } from "../core/ipc.ts";
import { sendWhole } from "../ffi/libc.ts";
import { frame } from "../core/channel.ts";
import { childArgv, type EarlyChild } from "./prespawn.ts";
import { childEnv } from "./tuning.ts";

/** Roles the configuration and the command line ask for (Parent.wantedRoles). */
export function wantedRoles(o: CliOptions, config: KeepalivedConfig): Role[] {
  return ROLES.filter((r) => {
    if (o.vrrpOnly && r !== "vrrp") return false;
    if (o.checkOnly && r !== "check") return false;
    if (r === "bfd" && o.noBfd) return false;
    return o.all || needsRole(config, r);
  });
}

/**
 * Writes generation 1's configuration into `early`'s channel when the parent will adopt it as it is
 * (the argv and environment Parent computes for it) and nothing must run first; marks it `configSent`,
 * so that the parent does not send it again.
 */
export function presendVrrp(o: CliOptions, c: KeepalivedConfig, early: EarlyChild): void {
  if (c.global.startupScript !== null || c.global.disableLocalIgmp) return;
  if (!wantedRoles(o, c).includes("vrrp") || !early.matches(childArgv(o, "vrrp"), childEnv("vrrp", c))) return;
  const msg = envelope({ type: "config", generation: 1, reload: false, slice: sliceFor(c, "vrrp") });
  early.configSent = sendWhole(early.spawned.fd, frame(msg)); // the Channel's framing: the supervisor's Channel takes the fd over later
}
