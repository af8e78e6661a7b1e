/**
 * keepalived's fatal configuration class: a keyword whose handler reads its first parameter without
 * checking that it is there. keepalived 2.2.7 then logs "*** Configuration line starting `KW` is
 * missing a parameter after keyword `KW` at word position 2", stops parsing and exits with status 2
 * (its KEEPALIVED_EXIT_CONFIG): `-t` exits 2, the daemon does not start. Other keywords check for the
 * value themselves and only report it (exit 5 under `-t`).
 *
 * FATAL_WHEN_ALONE was measured, not guessed: every keyword of our trees was written alone on a line
 * inside a minimal block and run through `keepalived -t` (test/component/config/fatal-params.test.ts repeats the
 * measurement against Debian's keepalived 2.2.7). kw-checks.ts puts the check in front of the handlers. Keys are block paths ("" = top level, then the block
 * keywords joined by "/"); a block keyword in the list is fatal when its header has no name.
 */

/** Block path -> keywords that keepalived 2.2.7 treats as fatal when they have no parameter. */
export const FATAL_WHEN_ALONE: Readonly<Record<string, readonly string[]>> = {
  "": ["child_wait_time", "track_file", "virtual_server", "vrrp_script", "vrrp_track_file",
    "vrrp_track_process"],
  "bfd_instance": ["hoplimit", "idle_tx", "max_hops", "min_rx", "min_tx", "multiplier", "source_ip", "ttl",
    "weight"],
  "garp_group": ["garp_interval", "gna_interval", "interface"],
  "global_defs": ["bfd_process_name", "bfd_rlimit_rtime", "bfd_rlimit_rttime", "checker_process_name",
    "checker_rlimit_rtime", "checker_rlimit_rttime", "config_save_dir", "lvs_process_name",
    "nftables_ipvs_priority", "nftables_ipvs_start_fwmark", "nftables_priority", "process_name",
    "random_seed", "smtp_connect_timeout", "smtp_server", "umask", "vmac_addr_prefix", "vmac_prefix",
    "vrrp_down_timer_adverts", "vrrp_garp_interval", "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat", "vrrp_garp_master_delay", "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat", "vrrp_garp_master_repeat", "vrrp_gna_interval", "vrrp_mcast_group4",
    "vrrp_mcast_group6", "vrrp_process_name", "vrrp_rlimit_rtime", "vrrp_rlimit_rttime",
    "vrrp_startup_delay", "vrrp_version"],
  "virtual_server": ["connect_timeout", "delay_before_retry", "delay_loop", "hysteresis", "ip_family",
    "lb_algo", "lb_kind", "lvs_method", "lvs_sched", "persistence_engine", "persistence_granularity",
    "protocol", "quorum", "quorum_down", "quorum_up", "real_server", "retry", "sorry_server", "warmup",
    "weight"],
  "virtual_server/real_server": ["connect_timeout", "delay_before_retry", "delay_loop", "lthreshold",
    "lvs_method", "notify_down", "notify_up", "retry", "uthreshold", "warmup", "weight"],
  "virtual_server/real_server/DNS_CHECK": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "name", "retry", "type", "warmup"],
  "virtual_server/real_server/FILE_CHECK": ["track_file"],
  "virtual_server/real_server/HTTP_GET": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "nb_get_retry", "retry", "warmup"],
  "virtual_server/real_server/HTTP_GET/url": ["digest", "path"],
  "virtual_server/real_server/MISC_CHECK": ["delay_before_retry", "delay_loop", "misc_timeout", "retry",
    "warmup"],
  "virtual_server/real_server/PING_CHECK": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "retry", "warmup"],
  "virtual_server/real_server/SMTP_CHECK": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "retry", "warmup"],
  "virtual_server/real_server/SMTP_CHECK/host": ["bind_if", "bind_port", "bindto", "connect_ip",
    "connect_port", "fwmark"],
  "virtual_server/real_server/SSL_GET": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "nb_get_retry", "retry", "warmup"],
  "virtual_server/real_server/SSL_GET/url": ["digest", "path"],
  "virtual_server/real_server/TCP_CHECK": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "retry", "warmup"],
  "virtual_server/real_server/UDP_CHECK": ["bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
    "connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "max_reply_length", "min_reply_length",
    "retry", "warmup"],
  "vrrp_instance": ["advert_int", "debug", "down_timer_adverts", "garp_lower_prio_delay",
    "garp_lower_prio_repeat", "garp_master_delay", "garp_master_refresh", "garp_master_refresh_repeat",
    "garp_master_repeat", "interface", "lvs_sync_daemon_interface", "mcast_dst_ip", "mcast_src_ip", "notify",
    "notify_backup", "notify_fault", "notify_master", "notify_master_rx_lower_pri", "notify_stop",
    "preempt_delay", "priority", "state", "unicast_src_ip", "unicast_ttl", "version", "virtual_router_id",
    "vrf"],
  "vrrp_instance/authentication": ["auth_pass", "auth_type"],
  "vrrp_script": ["fall", "interval", "rise", "timeout", "user", "weight"],
  "vrrp_sync_group": ["notify", "notify_backup", "notify_fault", "notify_master", "notify_stop"],
  "vrrp_track_process": ["delay", "fork_delay", "process", "quorum", "quorum_max", "terminate_delay"],
};

/** keepalived's wording for the missing-parameter class (word position counts the keyword as 1). */
export function missingParameterMessage(kw: string, position = 2): string {
  return `*** Configuration line starting \`${kw}\` is missing a parameter after keyword \`${kw}\` at word position ${position}`;
}
