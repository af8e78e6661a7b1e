/**
 * The global_defs part of the configuration model (src/config/model.ts has the rules every model type
 * follows: plain JSON-serialisable objects, `null` for "not configured", units in field names).
 */
import type { ScriptSpec, SourceRef } from "./model-base.ts";

/** A FIFO to write notify events to, with the optional script that reads it. */
export interface FifoSpec {
  readonly path: string;
  readonly user: string | null;
  readonly group: string | null;
  /** `*_fifo_script`: started by keepalived with the FIFO name as last argument. */
  readonly script: ScriptSpec | null;
}

/** A parsed vrrp_rx_bufs_policy (src/config/rx-bufs.ts). */
export type RxBufsPolicy = { kind: "MTU" } | { kind: "ADVERT" } | { kind: "SIZE"; bytes: number };

/** `lvs_sync_daemon IF [inst] VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]`. */
export interface LvsSyncDaemon {
  readonly interface: string;
  readonly vrrpInstance: string | null;
  readonly syncId: number | null;
  readonly maxLen: number | null;
  readonly port: number | null;
  readonly ttl: number | null;
  readonly group: string | null;
}

/** Per-child process scheduling knobs (`vrrp_*`, `checker_*`, `bfd_*`). */
export interface ProcessSchedule {
  /** nice value -20..19, null = unchanged. */
  readonly priority: number | null;
  readonly noSwap: boolean;
  /** SCHED_RR priority 1..99, null = not realtime. */
  readonly rtPriority: number | null;
  readonly cpuAffinity: readonly number[];
  /** RLIMIT_RTTIME in microseconds, null = default (10000). */
  readonly rlimitRttimeUs: number | null;
}

/** A netlink receive buffer size and whether SO_RCVBUFFORCE is used. */
export interface RcvBuf {
  readonly bytes: number | null;
  readonly force: boolean;
}

/** `nftables` settings; null table = nftables not used. */
export interface NftablesSettings {
  readonly table: string | null;
  readonly priority: number;
  readonly counters: boolean;
  readonly ifindex: boolean;
  readonly ipvsTable: string | null;
  readonly ipvsPriority: number;
  readonly ipvsStartFwmark: number;
}

/** An exporter whose metric names /metrics can speak (docs/metrics.md). */
export type MetricsCompat = "mehdy" | "gen2brain";

/** `global_defs` plus the top-level globals (net_namespace, instance, ...). */
export interface GlobalDefs {
  // Top level
  readonly netNamespace: string | null;
  /** `net_namespace_ipvs [NAME]`: "" = default namespace. */
  readonly netNamespaceIpvs: string | null;
  readonly namespaceWithIpsets: boolean;
  readonly instanceName: string | null;
  readonly usePidDir: boolean;
  /** Parent waits this long for children to exit. Default 5000. */
  readonly childWaitTimeMs: number;
  readonly linkbeatUsePolling: boolean;
  // Identity and processes
  /** `router_id`; null = host name. */
  readonly routerId: string | null;
  readonly defaultInterface: string | null;
  readonly dynamicInterfaces: boolean;
  readonly allowIfChanges: boolean;
  /** File creation mask; null = IWGRP|IWOTH (0o022). */
  readonly umask: number | null;
  readonly processNames: {
    readonly parent: string | null;
    readonly vrrp: string | null;
    readonly checker: string | null;
    readonly bfd: string | null;
  };
  readonly tmpConfigDirectory: string | null;
  readonly configSaveDir: string | null;
  // Email
  readonly notificationEmails: readonly string[];
  readonly notificationEmailFrom: string | null;
  readonly smtpServer: { readonly host: string; readonly port: number; readonly src?: SourceRef } | null;
  readonly smtpHeloName: string | null;
  /** Default 30000. */
  readonly smtpConnectTimeoutMs: number;
  readonly smtpAlert: boolean | null;
  readonly smtpAlertVrrp: boolean | null;
  readonly smtpAlertChecker: boolean | null;
  readonly noEmailFaults: boolean;
  readonly noCheckerEmails: boolean;
  /** Beyond keepalived: `smtp_starttls [noverify]`; null = plain SMTP, else STARTTLS is required. */
  readonly smtpStarttls: "verify" | "noverify" | null;
  /** Beyond keepalived: `smtp_auth_user` / `smtp_auth_pass` (SMTP AUTH PLAIN/LOGIN); null = no AUTH. */
  readonly smtpAuth: { readonly user: string; readonly pass: string } | null;
  /** Beyond keepalived: `metrics_listen ADDR:PORT`, the parent's Prometheus endpoint; null = off. */
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  /** Beyond keepalived: `metrics_compat mehdy|gen2brain|none ...`, the exporters whose names /metrics also speaks. */
  readonly metricsCompat: readonly MetricsCompat[];
  /**
   * Beyond keepalived: `control_socket PATH [MODE] [GROUP]` (docs/control.md); null = off
   * (`control_socket none`). Absent: on, at the default path derived from the pid file, mode 0600.
   */
  readonly controlSocket: { readonly path: string | null; readonly mode: number; readonly group: string | null } | null;
  // Scripts
  readonly scriptUser: { readonly user: string; readonly group: string | null; readonly src: SourceRef } | null;
  readonly enableScriptSecurity: boolean;
  readonly useSymlinkPaths: boolean;
  readonly startupScript: ScriptSpec | null;
  /** Default 10000. */
  readonly startupScriptTimeoutMs: number;
  readonly shutdownScript: ScriptSpec | null;
  readonly shutdownScriptTimeoutMs: number;
  // FIFOs
  readonly notifyFifo: FifoSpec | null;
  readonly vrrpNotifyFifo: FifoSpec | null;
  readonly lvsNotifyFifo: FifoSpec | null;
  readonly fifoWriteVrrpStatesOnReload: boolean;
  readonly vrrpNotifyPriorityChanges: boolean;
  // VRRP defaults
  /** 2 or 3. Default 2. */
  readonly vrrpVersion: 2 | 3;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  /** Default 5000. */
  readonly vrrpGarpMasterDelayMs: number;
  /** Default 5. */
  readonly vrrpGarpMasterRepeat: number;
  readonly vrrpGarpMasterRefreshMs: number;
  /** Default 1. */
  readonly vrrpGarpMasterRefreshRepeat: number;
  /** null = same as vrrpGarpMasterDelayMs. */
  readonly vrrpGarpLowerPrioDelayMs: number | null;
  /** null = same as vrrpGarpMasterRepeat. */
  readonly vrrpGarpLowerPrioRepeat: number | null;
  /** Delay between GARPs on one interface. Default 0 (vrrp_strict: 1000 when unset). */
  readonly vrrpGarpIntervalMs: number;
  readonly vrrpGnaIntervalMs: number;
  /** `vrrp_garp_extra_if [all] DELAY_S`, null = off. */
  readonly vrrpGarpExtraIf: { readonly delayMs: number; readonly all: boolean } | null;
  /** Default 3 (RFC Master_Down_Interval multiplier). */
  readonly vrrpDownTimerAdverts: number;
  readonly vrrpLowerPrioNoAdvert: boolean;
  readonly vrrpHigherPrioSendAdvert: boolean;
  readonly vrrpCheckUnicastSrc: boolean;
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpStrict: boolean;
  readonly vrrpOwnerIgnoreAdverts: boolean;
  readonly vrrpStartupDelayMs: number;
  readonly logUnknownVrids: boolean;
  /** Default "vrrp". */
  readonly vmacPrefix: string;
  readonly vmacAddrPrefix: string | null;
  readonly disableLocalIgmp: boolean;
  /** vrrp_rx_bufs_policy; null = the system default buffer size. */
  readonly vrrpRxBufsPolicy: RxBufsPolicy | null;
  /** Default 3. */
  readonly vrrpRxBufsMultiplier: number;
  // Firewall
  /** `nftables` (and `vrrp_iptables`, which Debian's 2.2.7 maps to the default nftables table). */
  readonly nftables: NftablesSettings;
  // LVS
  readonly lvsSyncDaemon: LvsSyncDaemon | null;
  readonly lvsTimeouts: {
    readonly tcpS: number | null;
    readonly tcpFinS: number | null;
    readonly udpS: number | null;
  };
  readonly lvsFlush: boolean;
  /** `lvs_flush_on_stop [VS]`: "none" | "all" | "vs". */
  readonly lvsFlushOnStop: "none" | "all" | "vs";
  readonly checkerLogAllFailures: boolean;
  readonly rsInitNotifies: boolean;
  // Scheduling
  readonly maxAutoPriority: number | null;
  readonly minAutoPriorityDelayUs: number | null;
  readonly vrrpSched: ProcessSchedule;
  readonly checkerSched: ProcessSchedule;
  readonly bfdSched: ProcessSchedule;
  // Buffers
  readonly vrrpNetlinkCmdRcvBufs: RcvBuf;
  readonly vrrpNetlinkMonitorRcvBufs: RcvBuf;
  readonly lvsNetlinkCmdRcvBufs: RcvBuf;
  readonly lvsNetlinkMonitorRcvBufs: RcvBuf;
  readonly processMonitorRcvBufs: RcvBuf;
  // SNMP / D-Bus
  readonly snmpSocket: string | null;
  readonly enableSnmpVrrp: boolean;
  readonly enableSnmpChecker: boolean;
  readonly enableSnmpRfcV2: boolean;
  readonly enableSnmpRfcV3: boolean;
  readonly enableTraps: boolean;
  readonly enableDbus: boolean;
  readonly dbusServiceName: string | null;
  // Reload / dump
  readonly reloadCheckConfig: { readonly logFile: string | null } | null;
  readonly reloadTimeFile: string | null;
  readonly reloadRepeat: boolean;
  readonly reloadFile: string | null;
  readonly dataUseInstance: boolean;
  readonly randomSeed: number | null;
  readonly stateDumpFile: string | null;
  readonly statsDumpFile: string | null;
  readonly jsonDumpFile: string | null;
  readonly jsonVersion: number | null;
  /** `include_check` as last set (informational; the preprocessor applies it). */
  readonly includeCheck: readonly string[];
}
