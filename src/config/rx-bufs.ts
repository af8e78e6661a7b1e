/**
 * `vrrp_rx_bufs_policy MTU|ADVERT|NUMBER` (keepalived.conf(5) global_defs): how the VRRP receive sockets'
 * buffers are sized (applied by src/vrrp/rx-bufs.ts). A size given with a policy wins, as in keepalived.
 */
import type { RcvBuf, RxBufsPolicy } from "./model.ts";
import type { ArgsHandler } from "./tree.ts";

/** Parses the words of `vrrp_rx_bufs_policy`; `warn` gets what keepalived reports and the value is still usable. */
export function parseRxBufsPolicy(words: readonly string[], warn: (msg: string) => void): RxBufsPolicy | string {
  if (words.length === 0) return "vrrp_rx_bufs_policy is missing its value (MTU, ADVERT or a size in bytes)";
  let mtu = false, advert = false, size: number | undefined;
  for (const w of words) {
    if (/^mtu$/i.test(w)) mtu = true;
    else if (/^advert$/i.test(w)) advert = true;
    else if (/^\d+$/.test(w) && Number(w) <= 4294967295) size = Number(w);
    else return `invalid vrrp_rx_bufs_policy '${w}' (MTU, ADVERT or a size in bytes 0-4294967295)`;
  }
  if (size !== undefined) {
    if (mtu || advert) warn("vrrp_rx_bufs_policy: a size and a policy are both set; using the size, ignoring the policy");
    return { kind: "SIZE", bytes: size };
  }
  if (mtu && advert) warn("vrrp_rx_bufs_policy: MTU and ADVERT are both set; using ADVERT");
  return advert ? { kind: "ADVERT" } : { kind: "MTU" };
}

/** The keyword handler for global_defs. */
export const rxBufsPolicyKw: ArgsHandler<{ vrrpRxBufsPolicy?: RxBufsPolicy | null }> = (d, args, ctx) => {
  const r = parseRxBufsPolicy(args.map((a) => a.text), (m) => ctx.diags.warn(ctx.at, m));
  if (typeof r === "string") ctx.diags.error(ctx.at, r);
  else d.vrrpRxBufsPolicy = r;
};

/**
 * keepalived's IF_DEFAULT_BUFSIZE (64 KiB): the size of a netlink socket whose `*_rcv_bufs_force` is set
 * with no `*_rcv_bufs`.
 */
export const NETLINK_DEFAULT_RCVBUF = 65536;

/** A receive buffer to set: SO_RCVBUF, or SO_RCVBUFFORCE (past net.core.rmem_max) when `force`. */
export interface RcvBufSetting {
  readonly bytes: number;
  readonly force: boolean;
}

/**
 * The buffer a netlink socket gets from `*_netlink_*_rcv_bufs[_force]` (keepalived.conf(5) global_defs):
 * the configured size (`_force`: with SO_RCVBUFFORCE), NETLINK_DEFAULT_RCVBUF when only `_force` is set
 * (unless `forceAloneSizes` is false: keepalived's process monitor socket takes a size or nothing), and
 * our own default `dflt` (undefined: the kernel's) when neither keyword is there.
 */
export function netlinkRcvBuf(c: RcvBuf, dflt: RcvBufSetting | undefined, forceAloneSizes = true): RcvBufSetting | undefined {
  if (c.bytes !== null) return { bytes: c.bytes, force: c.force };
  if (c.force && forceAloneSizes) return { bytes: NETLINK_DEFAULT_RCVBUF, force: true };
  return dflt;
}
