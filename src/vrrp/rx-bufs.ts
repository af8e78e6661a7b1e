/**
 * Receive buffer sizes of the VRRP sockets, as keepalived.conf(5) `vrrp_rx_bufs_policy MTU|ADVERT|NUMBER`,
 * `vrrp_rx_bufs_multiplier` (default 3) and the instance keyword `kernel_rx_buf_size` define them: a socket
 * shared by several instances gets the sum of what each asks for, where an instance asks for its own
 * kernel_rx_buf_size, else the fixed NUMBER, else multiplier × the length of its advert (ADVERT) or
 * multiplier × its interface's MTU (MTU). Nothing asked for: the system default (net.core.rmem_default).
 * The kernel doubles the value for its bookkeeping and caps it at net.core.rmem_max (socket(7) SO_RCVBUF).
 */
import type { RxBufsPolicy, VrrpInstance } from "../config/model.ts";

/** Bytes of one advert as the kernel queues it: IP header, AH, VRRP header, addresses, VRRPv2 auth data. */
export function advertLength(i: VrrpInstance): number {
  const v6 = i.family === "ipv6";
  const ah = i.version === 2 && i.auth?.type === "AH" ? 24 : 0;
  const auth = i.version === 2 ? 8 : 0;
  return (v6 ? 40 : 20) + ah + 8 + i.virtualIpaddresses.length * (v6 ? 16 : 4) + auth;
}

/** What one instance asks for; 0 = nothing. */
export function instanceRxBytes(i: VrrpInstance, policy: RxBufsPolicy | null, multiplier: number, mtu: number | undefined): number {
  if (i.kernelRxBufSizeBytes) return i.kernelRxBufSizeBytes;
  if (!policy) return 0;
  if (policy.kind === "SIZE") return policy.bytes;
  if (policy.kind === "ADVERT") return multiplier * advertLength(i);
  return mtu ? multiplier * mtu : 0;
}

/** The SO_RCVBUF value for a socket shared by `instances`, or undefined for the system default. */
export function socketRxBytes(
  instances: readonly VrrpInstance[],
  policy: RxBufsPolicy | null,
  multiplier: number,
  mtu: number | undefined,
): number | undefined {
  let sum = 0;
  for (const i of instances) sum += instanceRxBytes(i, policy, multiplier, mtu);
  return sum > 0 ? Math.min(sum, 0x7fffffff) : undefined;
}
