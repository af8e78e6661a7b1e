/**
 * Configuration text that several namespace tests and benchmarks share (pure strings, no I/O).
 */

/** A config with `n` <= 100 VRRP instances on veth0 (VRIDs 1..n; VIP 192.0.2.(100 + k)/24 on VRID k + 1). */
export function vrrpConf(n: number, prio: number, version: 2 | 3, advert: string, globals = ""): string {
  const inst = Array.from({ length: n }, (_, k) =>
    `vrrp_instance VI_${k + 1} {
  state BACKUP
  interface veth0
  virtual_router_id ${k + 1}
  priority ${prio}
  advert_int ${advert}
  virtual_ipaddress {
    192.0.2.${100 + k}/24
  }
}
`);
  return `global_defs {
  router_id bench_${prio}
  vrrp_version ${version}${globals}
}
${inst.join("")}`;
}

/** One NAT virtual server 192.0.2.10:80 with one TCP_CHECKed real server 192.0.2.20:80. */
export const TCP_VS = `virtual_server 192.0.2.10 80 {
  delay_loop 5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.20 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
