/**
 * Keyword coverage: a configuration that uses every registered keyword of every block (global_defs and
 * top level, VRRP blocks, LVS and checkers, SSL, BFD) loads with no "unknown keyword" diagnostic, and
 * keywords registered elsewhere are rejected in the wrong block (keepalived's per-level tables).
 */
import { describe, expect, test } from "bun:test";
import { loadText, nonJsonPaths } from "../../support/config/helpers.ts";

const TOP = `net_namespace ns1
net_namespace_ipvs
namespace_with_ipsets
instance inst1
use_pid_dir
child_wait_time 7
linkbeat_use_polling
`;

const GLOBAL = `global_defs {
 process_names
 process_name kp
 vrrp_process_name kv
 checker_process_name kc
 lvs_process_name kc2
 bfd_process_name kb
 tmp_config_directory /tmp
 config_save_dir /tmp/save
 router_id r1
 default_interface eth0
 dynamic_interfaces allow_if_changes
 umask 022
 notification_email {
  a@example.org
 }
 notification_email_from k@example.org
 smtp_server 192.0.2.25
 smtp_helo_name h
 smtp_connect_timeout 20
 smtp_alert yes
 smtp_alert_vrrp no
 smtp_alert_checker on
 no_email_faults
 no_checker_emails
 script_user nobody
 enable_script_security
 use_symlink_paths
 startup_script /bin/true
 startup_script_timeout 5
 shutdown_script /bin/true
 shutdown_script_timeout 5
 notify_fifo /run/n
 notify_fifo_script /bin/cat
 vrrp_notify_fifo /run/v
 vrrp_notify_fifo_script /bin/cat
 lvs_notify_fifo /run/l
 lvs_notify_fifo_script /bin/cat
 fifo_write_vrrp_states_on_reload
 vrrp_notify_priority_changes
 vrrp_version 2
 vrrp_mcast_group4 224.0.0.18
 vrrp_mcast_group6 ff02::12
 vrrp_garp_master_delay 5
 vrrp_garp_master_repeat 5
 vrrp_garp_master_refresh 0
 vrrp_garp_master_refresh_repeat 1
 vrrp_garp_lower_prio_delay 5
 vrrp_garp_lower_prio_repeat 5
 vrrp_garp_interval 0.001
 vrrp_gna_interval 0.001
 vrrp_min_garp
 vrrp_garp_extra_if 60
 vrrp_vmac_garp_intvl 60
 vrrp_down_timer_adverts 3
 vrrp_lower_prio_no_advert
 vrrp_higher_prio_send_advert
 vrrp_check_unicast_src
 vrrp_skip_check_adv_addr
 vrrp_owner_ignore_adverts
 vrrp_startup_delay 1.5
 log_unknown_vrids
 vmac_prefix vr
 vmac_addr_prefix va
 disable_local_igmp
 vrrp_rx_bufs_policy MTU
 vrrp_rx_bufs_multiplier 4
 vrrp_iptables
 nftables
 nftables_priority -2
 nftables_counters
 nftables_ifindex
 nftables_ipvs
 nftables_ipvs_priority -3
 nftables_ipvs_start_fwmark 2000
 lvs_sync_daemon eth0
 lvs_timeouts tcp 1 tcpfin 2 udp 3
 lvs_flush
 lvs_flush_on_stop
 lvs_flush_onstop VS
 checker_log_all_failures
 rs_init_notifies
 max_auto_priority 10
 min_auto_priority_delay 1000
 vrrp_priority 1
 vrrp_no_swap
 vrrp_rt_priority 1
 vrrp_cpu_affinity 0
 vrrp_rlimit_rttime 10000
 vrrp_rlimit_rtime 10000
 checker_priority 1
 checker_no_swap
 checker_rt_priority 1
 checker_cpu_affinity 0
 checker_rlimit_rttime 10000
 checker_rlimit_rtime 10000
 bfd_priority 1
 bfd_no_swap
 bfd_rt_priority 1
 bfd_cpu_affinity 0
 bfd_rlimit_rttime 10000
 bfd_rlimit_rtime 10000
 vrrp_netlink_cmd_rcv_bufs 1
 vrrp_netlink_cmd_rcv_bufs_force
 vrrp_netlink_monitor_rcv_bufs 1
 vrrp_netlink_monitor_rcv_bufs_force
 lvs_netlink_cmd_rcv_bufs 1
 lvs_netlink_cmd_rcv_bufs_force
 lvs_netlink_monitor_rcv_bufs 1
 lvs_netlink_monitor_rcv_bufs_force
 process_monitor_rcv_bufs 1
 process_monitor_rcv_bufs_force
 snmp_socket udp:192.0.2.1:705
 enable_snmp_vrrp
 enable_snmp_keepalived
 enable_snmp_checker
 enable_snmp_rfc
 enable_snmp_rfcv2
 enable_snmp_rfcv3
 enable_traps
 enable_dbus
 dbus_service_name org.example
 reload_check_config
 reload_time_file /run/t
 reload_repeat
 reload_file /run/r
 data_use_instance
 random_seed 3
 state_dump_file /tmp/s
 stats_dump_file /tmp/t
 json_dump_file /tmp/j
 json_version 2
 include_check
 vrrp_strict
}
`;

const VRRP = `vrrp_script s1 {
 script /bin/true
 interval 1
 timeout 2
 weight 3 reverse
 rise 2
 fall 2
 user nobody
 init_fail
}
vrrp_track_file f1 {
 file /run/f1
 weight 2
 init_file 0
}
track_file f2 {
 file /run/f2
}
vrrp_track_process p1 {
 process sshd
 param_match initial
 weight 1
 quorum 1
 quorum_max 3
 delay 1
 terminate_delay 1
 fork_delay 1
 full_command
}
garp_group {
 garp_interval 1
 gna_interval 1
 interface eth0
 interfaces {
  eth1
 }
}
track_group tg {
 group {
  VI_1
 }
}
static_ipaddress {
 192.0.2.50/24 dev eth0
}
static_routes {
 198.51.100.0/24 dev eth0
}
static_rules {
 from 192.0.2.0/24 table 10 priority 100
}
linkbeat_interfaces {
 eth0
}
interface_up_down_delays {
 eth0 1
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 vrf vrf0
 use_vmac vrrp.1
 use_vmac_addr
 vmac_xmit_base
 use_ipvlan ipv1 192.0.2.60/24 bridge
 native_ipv6
 dont_track_primary
 track_interface {
  eth1
 }
 track_script {
  s1
 }
 track_file {
  f1
 }
 track_process {
  p1
 }
 track_bfd {
  b1
 }
 mcast_src_ip 192.0.2.1
 unicast_src_ip 192.0.2.1
 mcast_dst_ip 224.0.0.18
 track_src_ip
 version 3
 check_unicast_src
 unicast_peer {
  192.0.2.2 min_ttl 1 max_ttl 255
 }
 unicast_fault_no_peer
 unicast_ttl 64
 old_unicast_checksum never
 garp_master_delay 1
 garp_master_repeat 1
 garp_lower_prio_delay 1
 garp_lower_prio_repeat 1
 garp_master_refresh 1
 garp_master_refresh_repeat 1
 garp_extra_if all 1
 vmac_garp_intvl 1
 down_timer_adverts 4
 lower_prio_no_advert
 higher_prio_send_advert
 timer_expired_backup
 v3_checksum_as_v2
 no_virtual_ipaddress
 virtual_router_id 1
 priority 200
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret
 }
 virtual_ipaddress {
  192.0.2.10/24
 }
 virtual_ipaddress_excluded {
  2001:db8::10/64
 }
 promote_secondaries
 virtual_routes {
  198.51.100.0/24 dev eth0
 }
 virtual_rules {
  from 192.0.2.0/24 table 10 priority 100
 }
 accept
 no_accept
 nopreempt
 preempt
 preempt_delay 0
 skip_check_adv_addr
 strict_mode off
 debug 1
 notify_master /bin/true
 notify_backup /bin/true
 notify_fault /bin/true
 notify_stop /bin/true
 notify_deleted /bin/true
 notify_master_rx_lower_pri /bin/true
 notify /bin/true
 notify_priority_changes
 smtp_alert
 kernel_rx_buf_size 65536
 linkbeat_use_polling
 lvs_sync_daemon_interface eth0
}
vrrp_sync_group G1 {
 group {
  VI_1
 }
 track_interface {
  eth0
 }
 track_script {
  s1
 }
 track_file {
  f1
 }
 track_process {
  p1
 }
 track_bfd {
  b1
 }
 notify_master /bin/true
 notify_backup /bin/true
 notify_fault /bin/true
 notify_stop /bin/true
 notify /bin/true
 notify_priority_changes
 smtp_alert
 global_tracking
 sync_group_tracking_weight
}
`;

const COMMON = ` connect_ip 192.0.2.1
 connect_port 80
 bindto 192.0.2.2
 bind_port 5000
 bind_if eth0
 fwmark 1
 connect_timeout 1
 retry 1
 delay_before_retry 1
 warmup 1
 delay_loop 1
 alpha
 log_all_failures`;

const CHECK = `SSL {
 password p
 ca /c
 certificate /cert
 key /k
}
virtual_server_group VSG {
 192.0.2.20-25 80
 fwmark 5
}
virtual_server 192.0.2.100 80 {
 ip_family inet
 retry 1
 delay_before_retry 1
 warmup 1
 connect_timeout 1
 delay_loop 1
 inhibit_on_failure
 lb_algo rr
 lvs_sched rr
 hashed
 ops
 flag-1
 flag-2
 flag-3
 sh-port
 sh-fallback
 mh-port
 mh-fallback
 lb_kind NAT
 lvs_method NAT
 persistence_engine sip
 persistence_timeout 60
 persistence_granularity 24
 protocol TCP
 ha_suspend
 smtp_alert
 virtualhost www
 snmp_name vs1
 alpha
 omega
 quorum_up /bin/true
 quorum_down /bin/true
 quorum 2
 hysteresis 1
 weight 2
 sorry_server 192.0.2.99 80
 sorry_server_inhibit
 sorry_server_lvs_method DR
 real_server 192.0.2.1 80 {
  weight 1
  lvs_method DR
  uthreshold 100
  lthreshold 10
  inhibit_on_failure
  notify_up /bin/true
  notify_down /bin/true
  alpha
  retry 1
  delay_before_retry 1
  warmup 1
  connect_timeout 1
  delay_loop 1
  smtp_alert
  virtualhost www
  snmp_name rs1
  TCP_CHECK {
${COMMON}
  }
  HTTP_GET {
${COMMON}
   nb_get_retry 2
   virtualhost www
   http_protocol 1.1
   enable_sni
   fast_recovery
   url {
    path /
    digest 9b3a0c85a887a256d6939da88aabd8cd
    status_code 200
    virtualhost www
    regex ok
    regex_no_match
    regex_options caseless
    regex_min_offset 1
    regex_max_offset 100
    regex_stack 1 2
   }
  }
  SSL_GET {
   url {
    path /
   }
  }
  SMTP_CHECK {
${COMMON}
   helo_name mx
   host {
    connect_ip 192.0.2.1
   }
  }
  DNS_CHECK {
${COMMON}
   type A
   name example.org
  }
  MISC_CHECK {
   misc_path /bin/true
   misc_timeout 5
   misc_dynamic
   user nobody
   alpha
   retry 1
   delay_loop 1
  }
  UDP_CHECK {
${COMMON}
   payload 00
   require_reply
   min_reply_length 1
   max_reply_length 10
  }
  PING_CHECK {
${COMMON}
  }
  FILE_CHECK {
   track_file f1
   weight 1 reverse
  }
  BFD_CHECK {
   name b1
  }
 }
}
virtual_server fwmark 5 {
}
virtual_server group VSG {
}
`;

const BFD = `bfd_instance b1 {
 neighbor_ip 192.0.2.2
 neighbour_ip 192.0.2.2
 source_ip 192.0.2.1
 min_rx 10
 min_tx 10
 idle_tx 1000
 multiplier 5
 passive
 ttl 255
 hoplimit 64
 max_hops 1
 weight 1 reverse
 vrrp
 checker
 multihop
}
`;

describe("keyword coverage", () => {
  test("every registered keyword of every block is accepted", () => {
    const r = loadText(TOP + GLOBAL + VRRP + CHECK + BFD);
    const unknown = r.diagnostics.filter((d) => d.message.startsWith("unknown"));
    expect(unknown).toEqual([]);
    expect(r.config.vrrp.instances).toHaveLength(1);
    expect(r.config.check.virtualServers[0]!.realServers[0]!.checkers.map((c) => c.type)).toEqual([
      "TCP_CHECK",
      "HTTP_GET",
      "SSL_GET",
      "SMTP_CHECK",
      "DNS_CHECK",
      "MISC_CHECK",
      "UDP_CHECK",
      "PING_CHECK",
      "FILE_CHECK",
      "BFD_CHECK",
    ]);
    expect(r.config.bfd.instances).toHaveLength(1);
    expect(nonJsonPaths(r.config)).toEqual([]);
    expect(JSON.parse(JSON.stringify(r.config))).toEqual(r.config);
  });
  test("keywords are per block: a top-level keyword inside global_defs, nb_get_retry outside HTTP, notify_deleted in a sync group", () => {
    const r = loadText(
      "global_defs {\n net_namespace x\n}\nvirtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 {\n  TCP_CHECK {\n   nb_get_retry 3\n  }\n }\n}\nvrrp_sync_group G {\n notify_deleted /bin/true\n}\n",
    );
    expect(r.diagnostics.filter((d) => d.message.startsWith("unknown")).map((d) => d.line)).toEqual([
      2,
      7,
      12,
    ]);
  });
});
