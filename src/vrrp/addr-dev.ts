/** Where a virtual address goes (shared by the appliers, announcers, firewall and sweep). */

/** An address entry as far as its interface goes. */
export interface KeyAddr {
  readonly address: string;
  readonly dev: string | null;
  readonly useVmac: boolean;
  readonly vmacName: string | null;
}

/** The interface an address goes on: its address VMAC (use_vmac / use_vmac_addr), else its `dev` (null: the instance's). */
export function addrDev(v: Pick<KeyAddr, "dev" | "useVmac" | "vmacName">): string | null {
  return v.useVmac && v.vmacName ? v.vmacName : v.dev;
}
