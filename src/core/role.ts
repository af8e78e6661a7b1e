/** The child processes, by role: the one `Role` type of the tree. */

/** A child process: VRRP, health checks (IPVS), or BFD. */
export type Role = "vrrp" | "check" | "bfd";

/** All roles, in start order. */
export const ROLES: readonly Role[] = ["vrrp", "check", "bfd"];

/** Whether `v` names a role. */
export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}
