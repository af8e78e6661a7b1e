/**
 * Small configurations that probe one validation rule each, run through both `keepalived -t` and
 * ours by parity.test.ts. Left out on purpose: an HTTP_GET without url (or a url without path), which
 * makes keepalived 2.2.7 -t crash with SIGSEGV (exit 139), ours reports it and exits 5; and a script
 * run as an existing non-root user (`notify_master /usr/bin/true nobody`), where 2.2.7 -t ends with
 * SIGTERM (exit 143) while ours exits 0. Keywords that 2.2.7 does not know yet (no_virtual_ipaddress,
 * v3_checksum_as_v2, timer_expired_backup) are not probed here, nor strict includes of missing files
 * (includem/includew/includeb/includea): 2.2.7 exits 6 there, ours 4 as the current source maps
 * CONFIG_FILE_NOT_FOUND.
 */

const vi = (extra: string, vip = "192.0.2.10/24"): string =>
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n${extra}\n virtual_ipaddress {\n  ${vip}\n }\n}\n`;
const vs = (body: string, head = "192.0.2.1 80"): string => `virtual_server ${head} {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n${body}\n}\n`;
const rs = (body = ""): string => ` real_server 192.0.2.2 80 {\n${body}\n }`;

/** Probes that need more than one file: main text plus files relative to the main file's directory. */
export const PARITY_MULTI: Readonly<
  Record<string, { main: string; files: Readonly<Record<string, string>> }>
> = {
  "include glob relative to the file": {
    main: "global_defs {\n include sub/*.conf\n}\n",
    files: { "sub/a.conf": "router_id a\n", "sub/b.conf": "vrrp_version 3\n" },
  },
  "include of a missing file": { main: "include nothere.conf\n", files: {} },
  "includer of a missing file": { main: "includer nothere.conf\n", files: {} },
  "include with a brace alternative missing": {
    main: "include {sub/a,sub/zz}.conf\n",
    files: { "sub/a.conf": "\n" },
  },
  "included file with an error": {
    main: "include sub/bad.conf\n",
    files: { "sub/bad.conf": "global_defs {\n bogus 1\n}\n" },
  },
};

/** name -> config text. */
export const PARITY_CASES: Readonly<Record<string, string>> = {
  "advert_int fraction v2": vi(" advert_int 1.5"),
  "advert_int v3 centiseconds": vi(" version 3\n advert_int 0.123"),
  "advert_int out of range": vi(" advert_int 300"),
  "advert_int v3 above 40.95": vi(" version 3\n advert_int 41"),
  "priority 255 with BACKUP": vi(" priority 255\n state BACKUP"),
  "priority 0": vi(" priority 0"),
  "VRID 300": vi("").replace("virtual_router_id 51", "virtual_router_id 300"),
  "nopreempt with MASTER": vi(" state MASTER\n nopreempt"),
  "nopreempt with owner": vi(" priority 255\n nopreempt"),
  "preempt_delay with MASTER": vi(" state MASTER\n preempt_delay 5"),
  "no VIP": "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n",
  "no interface": "vrrp_instance VI_1 {\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
  "missing interface": vi("").replace("interface eth0", "interface eth9"),
  "missing tracked interface": vi(" track_interface {\n  eth9\n }"),
  "missing VIP dev": vi("", "192.0.2.1 dev eth9"),
  "IPv6 VIP": vi("", "2001:db8::10/64"),
  "IPv6 VIP with version 2": vi(" version 2", "2001:db8::10/64"),
  "mixed VIP families": vi(" virtual_ipaddress {\n  2001:db8::5\n }"),
  "v3 with auth": vi(" version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }"),
  "auth without password": vi(" authentication {\n  auth_type PASS\n }"),
  "AH with MASTER": vi(" state MASTER\n authentication {\n  auth_type AH\n  auth_pass x\n }"),
  "strict with MASTER below 255": "global_defs {\n vrrp_strict\n}\n" + vi(" state MASTER"),
  "unicast peer of other family": vi(" unicast_peer {\n  2001:db8::1\n }"),
  "use_vmac with unicast": vi(" unicast_peer {\n  192.0.2.9\n }\n use_vmac"),
  "duplicate VRID": vi("") + vi("").replace("VI_1", "VI_2"),
  "same VRID other interface": vi("") +
    vi("").replace("VI_1", "VI_2").replace("interface eth0", "interface eth1"),
  "duplicate instance name": vi("") + vi("").replace("interface eth0", "interface eth1").replace("51", "52"),
  "undefined track_script": vi(" track_script {\n  nope\n }"),
  "vrrp_script without script": "vrrp_script s {\n interval 1\n}\n",
  "track_process without process": "vrrp_track_process p {\n quorum 2\n}\n",
  "track_process quorum_max below quorum": "vrrp_track_process p {\n process x\n quorum 5\n quorum_max 2\n}\n",
  "track_file without file": "track_file t {\n weight 2\n}\n",
  "garp_group without interface": "garp_group {\n garp_interval 1\n}\n",
  "sync group with undefined member": "vrrp_sync_group G {\n group {\n  VI_X\n }\n}\n",
  "sync group member with tracker weight": vi(" track_interface {\n  eth1 weight 10\n }") +
    "vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n",
  "static address on missing interface": "static_ipaddress {\n 192.0.2.5/24 dev eth9\n}\n",
  "static address without dev": "static_ipaddress {\n 192.0.2.5/24\n}\n",
  "lvs_sync_daemon with unknown instance": "global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n",
  "unknown keyword": "global_defs {\n no_such_thing 1\n}\n",
  "missing closing brace": "global_defs {\n router_id x\n",
  "extra closing brace": "global_defs {\n router_id x\n}\n}\n",
  "two keywords on a line": vi(" priority 100 advert_int 3"),
  "keyword and block on one line": "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100 virtual_ipaddress {\n  192.0.2.10/24\n }\n}\n",
  "strict with unicast": "global_defs {\n vrrp_strict\n}\n" +
    vi(" priority 255\n unicast_peer {\n  192.0.2.9\n }"),
  "strict with preempt_delay": "global_defs {\n vrrp_strict\n}\n" + vi(" preempt_delay 3"),
  "strict with vmac_xmit_base": "global_defs {\n vrrp_strict\n}\n" + vi(" use_vmac\n vmac_xmit_base"),
  "strict without VIP": "global_defs {\n vrrp_strict\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n",
  "strict with accept on v3": "global_defs {\n vrrp_strict\n}\n" + vi(" version 3\n accept"),
  "strict with IPv6 non link-local first VIP": "global_defs {\n vrrp_strict\n}\n" + vi("", "2001:db8::10/64"),
  "strict with IPv6 link-local first VIP": "global_defs {\n vrrp_strict\n}\n" + vi("", "fe80::10/64"),
  "preprocessor features": "$A=1\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id ${A}\n virtual_ipaddress {\n ~SEQ(I,1,3) 192.0.2.${I}\n }\n}\n",
  "VS without protocol": "virtual_server 192.0.2.1 80 {\n lvs_sched rr\n lvs_method NAT\n" + rs() + "\n}\n",
  "VS without scheduler": "virtual_server 192.0.2.1 80 {\n lvs_method NAT\n protocol TCP\n" + rs() + "\n}\n",
  "VS without method": "virtual_server 192.0.2.1 80 {\n lvs_sched rr\n protocol TCP\n" + rs() + "\n}\n",
  "VS without real servers": vs(""),
  "VS without port": vs(rs()).replace("192.0.2.1 80", "192.0.2.1"),
  "fwmark VS": vs(rs(), "fwmark 1").replace(" protocol TCP\n", ""),
  "fwmark VS with protocol": vs(rs(), "fwmark 1"),
  "VS group defined": "virtual_server_group G {\n 192.0.2.1-10 80\n}\n" + vs(rs(), "group G"),
  "VS group undefined": vs(rs(), "group NOPE"),
  "quorum above total weight": vs(rs(" weight 1") + "\n quorum 5"),
  "hysteresis not below quorum": vs(rs(" weight 5") + "\n quorum 2\n hysteresis 3"),
  "real server of other family": vs(" real_server 2001:db8::2 80 {\n }"),
  "MISC_CHECK without path": vs(rs("  MISC_CHECK {\n  }")),
  "FILE_CHECK undefined track_file": vs(rs("  FILE_CHECK {\n   track_file nope\n  }")),
  "UDP_CHECK min above max": vs(rs("  UDP_CHECK {\n   min_reply_length 10\n   max_reply_length 5\n  }")),
  "HTTP_GET complete": vs(rs("  HTTP_GET {\n   url {\n    path /\n    status_code 200-299\n   }\n  }")),
  "bfd without neighbor": "bfd_instance b {\n min_rx 5\n}\n",
  "bfd complete": "bfd_instance b {\n neighbor_ip 192.0.2.2\n}\n",
  "notify script that exists, no script security": vi(' notify_master "/usr/bin/true x"'),
  "static address with undefined track_group": "static_ipaddress {\n 192.0.2.5/24 dev eth0 track_group NOPE\n}\n",
  "linkbeat on a missing interface (fatal)": "linkbeat_interfaces {\n eth9\n}\n",
  "up/down delay on a missing interface (fatal)": "interface_up_down_delays {\n eth9 1\n}\n",
  "garp_group on a missing interface": "garp_group {\n garp_interval 1\n interface eth9\n}\n",
  "garp_group without a delay": "garp_group {\n interface eth0\n}\n",
  "sync group tracking a missing interface": vi("") +
    "vrrp_sync_group G {\n group {\n  VI_1\n }\n track_interface {\n  eth9\n }\n}\n",
  "sorry server of other family": vs(rs() + "\n sorry_server 2001:db8::1 80"),
  "large real server weight": vs(rs("  weight 70000")),
  "large garp_master_repeat": vi(" garp_master_repeat 300"),
  "untracked vrrp_script with errors": "vrrp_script s {\n script /usr/bin/true\n weight 300\n interval 0\n}\n",
  "tracked vrrp_script, no script security": "vrrp_script s {\n script /usr/bin/true\n}\n" +
    vi(" track_script {\n  s\n }"),
  "bad route table and metric": vi(
    " virtual_routes {\n  198.51.100.0/24 via 192.0.2.1 dev eth0 table 300 metric abc\n }",
  ),
  "bad VIP mask": vi("", "192.0.2.1/33"),
  "bad VIP option": vi("", "192.0.2.1/24 dev eth0 bogus"),
  "bad unicast peer": vi(" unicast_peer {\n  192.0.2.300\n }"),
  "track_interface weight out of range": vi(" track_interface {\n  eth1 weight 300\n }"),
  "unquoted script words are user and group": vi(" notify_master /usr/bin/true nosuchuser1 nosuchgroup1"),
  "notify script that does not exist": vi(' notify_master "/nonexistent/script x"'),
  "vrrp on the loopback interface": vi("").replace("interface eth0", "interface lo"),
  "lvs settings, sync daemon for an unknown instance": "global_defs {\n lvs_flush\n lvs_timeouts tcp 7200 udp 50\n" +
    " lvs_sync_daemon eth0 VI_9 id 5 port 8849\n lvs_flush_on_stop VS\n}\n" + vi(""),
  // issue 15, VRRP slice
  "vrrp_min_garp": "global_defs {\n vrrp_min_garp\n}\n" + vi(""),
  "vrrp_min_garp with a bad value": "global_defs {\n vrrp_min_garp maybe\n}\n" + vi(""),
  "native_ipv6 before an IPv4 VIP": vi(" native_ipv6"),
  "native_ipv6 after an IPv4 VIP": "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.10/24\n }\n native_ipv6\n}\n",
  "native_ipv6 with an IPv6 VIP": vi(" native_ipv6", "2001:db8::10/64"),
  "debug with a level": vi(" debug 3"),
  "debug without a level": vi(" debug"),
  "debug out of range": vi(" debug 7"),
  "use_vmac on an address, with a word after it": vi("", "192.0.2.10/24 dev eth0 use_vmac foo"),
  "use_vmac on a static address": "static_ipaddress {\n 192.0.2.5/24 dev eth0 use_vmac\n}\n",
  "use_vmac_addr and vmac_addr_prefix": "global_defs {\n vmac_addr_prefix kva\n}\n" + vi(" use_vmac_addr"),
  "lvs_sync_daemon_interface in an instance": vi(" lvs_sync_daemon_interface eth0"),
  "no_track and autojoin on addresses": vi("", "192.0.2.10/24 no_track\n  239.1.2.3/32 autojoin"),
  "track_bfd of a checker-only bfd_instance": "bfd_instance b1 {\n neighbor_ip 192.0.2.9\n checker\n}\n" + vi(" track_bfd {\n  b1\n }"),
  "linkbeat_interfaces with a type": "linkbeat_interfaces {\n eth0 MII\n}\n" + vi(""),
  "log_unknown_vrids, disable_local_igmp, fifo_write_vrrp_states_on_reload":
    "global_defs {\n log_unknown_vrids\n disable_local_igmp\n fifo_write_vrrp_states_on_reload\n}\n" + vi(""),
  "vrrp_iptables (2.2.7 without iptables: an error, nftables used)": "global_defs {\n vrrp_iptables\n}\n" + vi(" no_accept"),
  "vrrp_iptables with chains": "global_defs {\n vrrp_iptables IN OUT\n}\n" + vi(""),
  "vrrp_ipsets (unknown to 2.2.7)": "global_defs {\n vrrp_ipsets a b\n}\n" + vi(""),
  "nftables after vrrp_iptables": "global_defs {\n vrrp_iptables\n nftables kt\n}\n" + vi(""),
  "nftables twice": "global_defs {\n nftables ka\n nftables kb\n}\n" + vi(""),
  "namespace_with_ipsets and net_namespace_ipvs": "namespace_with_ipsets\nnet_namespace_ipvs kne-y\n" + vi(""),
  "net_namespace and net_namespace_ipvs twice": "net_namespace a\nnet_namespace b\nnet_namespace_ipvs\nnet_namespace_ipvs d\n" + vi(""),
};
