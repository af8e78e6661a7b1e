/**
 * Which children a BFD session's state goes to: bfd_instance `vrrp` / `checker` (keepalived.conf(5))
 * name the one child to tell; with neither (the default) both are told (src/config/validate-side.ts
 * sets both flags then). A session the configuration no longer has goes nowhere.
 */
import type { KeepalivedConfig } from "../config/model.ts";

/** The roles that follow session `name`. */
export function bfdRoles(c: Pick<KeepalivedConfig, "bfd"> | undefined, name: string): ("vrrp" | "check")[] {
  const b = c?.bfd.instances.find((i) => i.name === name);
  if (!b) return [];
  return [...(b.toVrrp ? ["vrrp" as const] : []), ...(b.toChecker ? ["check" as const] : [])];
}
