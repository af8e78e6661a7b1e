/**
 * Turns the global_defs draft into GlobalDefs with keepalived.conf(5) defaults applied
 * (vrrp_version 2, 224.0.0.18 / ff02::12, GARP 5 s / 5 repeats, smtp_connect_timeout 30 s, ...).
 */
import { VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import type { GlobalDefs, NftablesSettings, RcvBuf } from "./model.ts";
import { DEFAULT_SCHED, type GlobalDraft } from "./kw-global.ts";

const NO_BUF: RcvBuf = { bytes: null, force: false };
const NFT: NftablesSettings = {
  table: null,
  priority: -1,
  counters: false,
  ifindex: false,
  ipvsTable: null,
  ipvsPriority: -1,
  ipvsStartFwmark: 1000,
};

/** The process: namespaces, names, router id, interfaces and files. */
function processDefaults(g: GlobalDraft) {
  return {
    netNamespace: g.netNamespace ?? null,
    netNamespaceIpvs: g.netNamespaceIpvs ?? null,
    namespaceWithIpsets: g.namespaceWithIpsets ?? false,
    instanceName: g.instanceName ?? null,
    usePidDir: g.usePidDir ?? false,
    childWaitTimeMs: g.childWaitTimeMs ?? 5000,
    linkbeatUsePolling: g.linkbeatUsePolling ?? false,
    routerId: g.routerId ?? null,
    defaultInterface: g.defaultInterface ?? null,
    dynamicInterfaces: g.dynamicInterfaces ?? false,
    allowIfChanges: g.allowIfChanges ?? false,
    umask: g.umask ?? null,
    processNames: g.processNames ?? { parent: null, vrrp: null, checker: null, bfd: null },
    tmpConfigDirectory: g.tmpConfigDirectory ?? null,
    configSaveDir: g.configSaveDir ?? null,
  };
}

/** Alerts: notification e-mail and SMTP, metrics and the control socket. */
function alertDefaults(g: GlobalDraft) {
  return {
    notificationEmails: g.notificationEmails ?? [],
    notificationEmailFrom: g.notificationEmailFrom ?? null,
    smtpServer: g.smtpServer ?? null,
    smtpHeloName: g.smtpHeloName ?? null,
    smtpConnectTimeoutMs: g.smtpConnectTimeoutMs ?? 30000,
    smtpAlert: g.smtpAlert ?? null,
    smtpAlertVrrp: g.smtpAlertVrrp ?? null,
    smtpAlertChecker: g.smtpAlertChecker ?? null,
    noEmailFaults: g.noEmailFaults ?? false,
    noCheckerEmails: g.noCheckerEmails ?? false,
    smtpStarttls: g.smtpStarttls ?? null,
    smtpAuth: g.smtpAuth ?? null,
    metricsListen: g.metricsListen ?? null,
    metricsCompat: g.metricsCompat ?? [],
    controlSocket: g.controlSocket === undefined ? { path: null, mode: 0o600, group: null } : g.controlSocket,
  };
}

/** Scripts and notify FIFOs. */
function scriptDefaults(g: GlobalDraft) {
  return {
    scriptUser: g.scriptUser ?? null,
    enableScriptSecurity: g.enableScriptSecurity ?? false,
    useSymlinkPaths: g.useSymlinkPaths ?? false,
    startupScript: g.startupScript ?? null,
    startupScriptTimeoutMs: g.startupScriptTimeoutMs ?? 10000,
    shutdownScript: g.shutdownScript ?? null,
    shutdownScriptTimeoutMs: g.shutdownScriptTimeoutMs ?? 10000,
    notifyFifo: g.notifyFifo?.path ? g.notifyFifo : null,
    vrrpNotifyFifo: g.vrrpNotifyFifo?.path ? g.vrrpNotifyFifo : null,
    lvsNotifyFifo: g.lvsNotifyFifo?.path ? g.lvsNotifyFifo : null,
    fifoWriteVrrpStatesOnReload: g.fifoWriteVrrpStatesOnReload ?? false,
    vrrpNotifyPriorityChanges: g.vrrpNotifyPriorityChanges ?? false,
  };
}

/** VRRP defaults every instance inherits (strict mode changes some). */
function vrrpDefaults(g: GlobalDraft, strict: boolean) {
  return {
    vrrpVersion: g.vrrpVersion ?? 2,
    vrrpMcastGroup4: g.vrrpMcastGroup4 ?? VRRP_MCAST_V4,
    vrrpMcastGroup6: g.vrrpMcastGroup6 ?? VRRP_MCAST_V6,
    vrrpGarpMasterDelayMs: g.vrrpGarpMasterDelayMs ?? 5000,
    vrrpGarpMasterRepeat: g.vrrpGarpMasterRepeat ?? 5,
    vrrpGarpMasterRefreshMs: g.vrrpGarpMasterRefreshMs ?? 0,
    vrrpGarpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat ?? 1,
    vrrpGarpLowerPrioDelayMs: g.vrrpGarpLowerPrioDelayMs ?? null,
    vrrpGarpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? null,
    vrrpGarpIntervalMs: g.vrrpGarpIntervalMs ?? (strict ? 1000 : 0),
    vrrpGnaIntervalMs: g.vrrpGnaIntervalMs ?? (strict ? 1000 : 0),
    vrrpGarpExtraIf: g.vrrpGarpExtraIf ?? null,
    vrrpDownTimerAdverts: g.vrrpDownTimerAdverts ?? 3,
    vrrpLowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert ?? strict,
    vrrpHigherPrioSendAdvert: g.vrrpHigherPrioSendAdvert ?? false,
    vrrpCheckUnicastSrc: g.vrrpCheckUnicastSrc ?? false,
    vrrpSkipCheckAdvAddr: g.vrrpSkipCheckAdvAddr ?? false,
    vrrpStrict: strict,
    vrrpOwnerIgnoreAdverts: g.vrrpOwnerIgnoreAdverts ?? false,
    vrrpStartupDelayMs: g.vrrpStartupDelayMs ?? 0,
    logUnknownVrids: g.logUnknownVrids ?? false,
    vmacPrefix: g.vmacPrefix ?? "vrrp",
    vmacAddrPrefix: g.vmacAddrPrefix ?? null,
    disableLocalIgmp: g.disableLocalIgmp ?? false,
    vrrpRxBufsPolicy: g.vrrpRxBufsPolicy ?? null,
    vrrpRxBufsMultiplier: g.vrrpRxBufsMultiplier ?? 3,
    nftables: g.nftables ?? NFT,
  };
}

/** IPVS and the checkers; scheduling and netlink buffers of each process. */
function lvsDefaults(g: GlobalDraft) {
  return {
    lvsSyncDaemon: g.lvsSyncDaemon ?? null,
    lvsTimeouts: g.lvsTimeouts ?? { tcpS: null, tcpFinS: null, udpS: null },
    lvsFlush: g.lvsFlush ?? false,
    lvsFlushOnStop: g.lvsFlushOnStop ?? "none",
    checkerLogAllFailures: g.checkerLogAllFailures ?? false,
    rsInitNotifies: g.rsInitNotifies ?? false,
    maxAutoPriority: g.maxAutoPriority ?? null,
    minAutoPriorityDelayUs: g.minAutoPriorityDelayUs ?? null,
    vrrpSched: g.vrrpSched ?? DEFAULT_SCHED,
    checkerSched: g.checkerSched ?? DEFAULT_SCHED,
    bfdSched: g.bfdSched ?? DEFAULT_SCHED,
    vrrpNetlinkCmdRcvBufs: g.vrrpNetlinkCmdRcvBufs ?? NO_BUF,
    vrrpNetlinkMonitorRcvBufs: g.vrrpNetlinkMonitorRcvBufs ?? NO_BUF,
    lvsNetlinkCmdRcvBufs: g.lvsNetlinkCmdRcvBufs ?? NO_BUF,
    lvsNetlinkMonitorRcvBufs: g.lvsNetlinkMonitorRcvBufs ?? NO_BUF,
    processMonitorRcvBufs: g.processMonitorRcvBufs ?? NO_BUF,
  };
}

/** SNMP, D-Bus, reload and dump files. */
function outputDefaults(g: GlobalDraft) {
  return {
    snmpSocket: g.snmpSocket ?? null,
    enableSnmpVrrp: g.enableSnmpVrrp ?? false,
    enableSnmpChecker: g.enableSnmpChecker ?? false,
    enableSnmpRfcV2: g.enableSnmpRfcV2 ?? false,
    enableSnmpRfcV3: g.enableSnmpRfcV3 ?? false,
    enableTraps: g.enableTraps ?? false,
    enableDbus: g.enableDbus ?? false,
    dbusServiceName: g.dbusServiceName ?? null,
    reloadCheckConfig: g.reloadCheckConfig ?? null,
    reloadTimeFile: g.reloadTimeFile ?? null,
    reloadRepeat: g.reloadRepeat ?? false,
    reloadFile: g.reloadFile ?? null,
    dataUseInstance: g.dataUseInstance ?? false,
    randomSeed: g.randomSeed ?? null,
    stateDumpFile: g.stateDumpFile ?? null,
    statsDumpFile: g.statsDumpFile ?? null,
    jsonDumpFile: g.jsonDumpFile ?? null,
    jsonVersion: g.jsonVersion ?? null,
    includeCheck: g.includeCheck ?? [],
  };
}

/** Apply defaults to the global draft. */
export function finishGlobal(g: GlobalDraft): GlobalDefs {
  const strict = g.vrrpStrict ?? false;
  return {
    ...processDefaults(g),
    ...alertDefaults(g),
    ...scriptDefaults(g),
    ...vrrpDefaults(g, strict),
    ...lvsDefaults(g),
    ...outputDefaults(g),
  };
}
