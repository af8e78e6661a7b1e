/**
 * `------< Global definitions >------` as keepalived 2.2.7 writes it (dump_global_data): the same
 * fields, order and spelling, read from our GlobalDefs. `role` is the process writing it: the VRRP
 * child has filled in its defaults (default interface, lower-priority GARP values), the parent and the
 * other children print those as keepalived does before resolving them.
 */
import { hostname } from "node:os";
import type { GlobalDefs, ProcessSchedule, RcvBuf } from "../config/model.ts";
import { ed, fsecs, scriptLine, secs, tf, uidGid, UNSET_U32 } from "./ka-values.ts";

/** Which process writes the dump. */
export type DumpRole = "parent" | "vrrp" | "check" | "bfd";

const onOff = (b: boolean | null): string => (b === null ? "unset" : b ? "on" : "off");

/** The checker child (keepalived 2.2.7 in the VM) names the HELO name only when it is configured. */
function smtpLines(g: GlobalDefs, role: DumpRole): string[] {
  const out: string[] = [];
  if (g.smtpServer) out.push(` Smtp server = ${g.smtpServer.host}`, ` Smtp server port = ${g.smtpServer.port}`);
  if ((g.smtpServer && role !== "check") || g.smtpHeloName) out.push(` Smtp HELO name = ${g.smtpHeloName ?? hostname()}`);
  if (g.smtpServer) out.push(` Smtp server connection timeout = ${secs(g.smtpConnectTimeoutMs)}`);
  if (g.notificationEmailFrom) out.push(` Email notification from = ${g.notificationEmailFrom}`);
  if (g.notificationEmails.length) out.push(" Email notification to:", ...g.notificationEmails.map((e) => `   ${e}`));
  return out;
}

function fifoLine(label: string, f: GlobalDefs["notifyFifo"], g: GlobalDefs): string[] {
  if (!f) return [];
  const out = [` ${label} = ${f.path}, uid:gid ${uidGid(f, g, true)}`];
  if (f.script) out.push(` ${label} script = ${scriptLine(f.script, g)}`);
  return out;
}

function schedLines(label: string, s: ProcessSchedule): string[] {
  return [
    ` ${label} process priority = ${s.priority ?? 0}`,
    ` ${label} don't swap = ${tf(s.noSwap)}`,
    ` ${label} realtime priority = ${s.rtPriority ?? 0}`,
    ` ${label} realtime limit = ${s.rlimitRttimeUs ?? 10000}`,
  ];
}

const bufLines = (name: string, b: RcvBuf): string[] => [` ${name} = ${b.bytes ?? 0}`, ` ${name}_force = ${b.force ? 1 : 0}`];

function identityLines(g: GlobalDefs, role: DumpRole): string[] {
  const out = [
    ` Network namespace = ${g.netNamespace ?? "(default)"}`,
    ` Network namespace ipvs = ${g.netNamespaceIpvs ? g.netNamespaceIpvs : "(main namespace)"}`,
  ];
  if (g.instanceName) out.push(` Instance name = ${g.instanceName}`);
  out.push(` Router ID = ${g.routerId ?? hostname()}`, ...smtpLines(g, role));
  out.push(
    ` Default smtp_alert = ${onOff(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${onOff(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${onOff(g.smtpAlertChecker)}`,
    ` Checkers log all failures = ${tf(g.checkerLogAllFailures)}`,
  );
  out.push(
    g.reloadCheckConfig
      ? ` Test config before reload${g.reloadCheckConfig.logFile ? `, log to ${g.reloadCheckConfig.logFile}` : ""}`
      : " No test config before reload",
  );
  if (role === "parent" && g.startupScript) {
    out.push(` Startup script = ${scriptLine(g.startupScript, g, true)}, timeout ${secs(g.startupScriptTimeoutMs)}`);
  }
  if (role === "parent" && g.shutdownScript) {
    out.push(` Shutdown script = ${scriptLine(g.shutdownScript, g, true)} timeout ${secs(g.shutdownScriptTimeoutMs)}`);
  }
  out.push(` Dynamic interfaces = ${tf(g.dynamicInterfaces)}`);
  if (g.dynamicInterfaces) out.push(` Allow interface changes = ${tf(g.allowIfChanges)}`);
  const t = g.lvsTimeouts;
  if (t.tcpS !== null) out.push(` LVS TCP timeout = ${t.tcpS}`);
  if (t.tcpFinS !== null) out.push(` LVS TCP FIN timeout = ${t.tcpFinS}`);
  // keepalived 2.2.7 labels the UDP timeout "TCP" too.
  if (t.udpS !== null) out.push(` LVS TCP timeout = ${t.udpS}`);
  if (role === "vrrp") out.push(` Default interface = ${g.defaultInterface ?? "eth0"}`);
  return out;
}

function lvsSyncLines(g: GlobalDefs): string[] {
  const s = g.lvsSyncDaemon;
  if (!s) return [];
  return [
    ` LVS syncd vrrp instance = ${s.vrrpInstance ?? "(none)"}`,
    ` LVS syncd interface = ${s.interface}`,
    ` LVS syncd id = ${s.syncId ?? 0}`,
    ` LVS syncd maxlen = ${s.maxLen ?? 0}`,
    ` LVS syncd port = ${s.port ?? 0}`,
    ` LVS syncd ttl = ${s.ttl ?? 0}`,
    ` LVS syncd group = ${s.group ?? "(none)"}`,
  ];
}

function vrrpLines(g: GlobalDefs, role: DumpRole): string[] {
  const resolved = role === "vrrp";
  const lowDelay = g.vrrpGarpLowerPrioDelayMs !== null ? secs(g.vrrpGarpLowerPrioDelayMs) : resolved ? secs(g.vrrpGarpMasterDelayMs) : UNSET_U32;
  const lowRepeat = g.vrrpGarpLowerPrioRepeat ?? (resolved ? g.vrrpGarpMasterRepeat : UNSET_U32);
  const nft = g.nftables;
  // vrrp_strict picks the default table in the VRRP child only.
  const table = nft.table ?? (resolved && g.vrrpStrict ? "keepalived" : null);
  const out = [
    ` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`,
    ` Gratuitous ARP delay = ${secs(g.vrrpGarpMasterDelayMs)}`,
    ` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`,
    ` Gratuitous ARP refresh timer = ${secs(g.vrrpGarpMasterRefreshMs)}`,
    ` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`,
    ` Gratuitous ARP lower priority delay = ${lowDelay}`,
    ` Gratuitous ARP lower priority repeat = ${lowRepeat}`,
    ` Num adverts before down = ${g.vrrpDownTimerAdverts}`,
    ` Gratuitous ARP for each secondary VMAC = ${g.vrrpGarpExtraIf ? secs(g.vrrpGarpExtraIf.delayMs) : 0}s`,
    ` Send advert after receive lower priority advert = ${tf(!g.vrrpLowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${tf(g.vrrpHigherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${fsecs(g.vrrpGarpIntervalMs)}`,
    ` Gratuitous NA interval = ${fsecs(g.vrrpGnaIntervalMs)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
  ];
  if (table) {
    out.push(` nftables table name = ${table}`, ` nftables base chain priority = ${nft.priority}`);
    out.push(nft.ifindex ? " nftables force use ifindex for link local IPv6" : " nftables don't force use ifindex for link local IPv6");
  }
  out.push(nft.counters ? " nftables with counters" : " nftables without counters", " libnftnl version 1.2.3");
  out.push(
    ` VRRP check unicast_src = ${tf(g.vrrpCheckUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${tf(g.vrrpSkipCheckAdvAddr)}`,
    ` VRRP strict mode = ${tf(g.vrrpStrict)}`,
    ` Max auto priority = ${g.maxAutoPriority ?? 0}`,
    ` Min auto priority delay = ${g.minAutoPriorityDelayUs ?? 1000000} usecs`,
  );
  return out;
}

function rxPolicy(g: GlobalDefs): string[] {
  const p = g.vrrpRxBufsPolicy;
  if (!p) return [];
  return [` rx_bufs_policy = ${p.kind === "SIZE" ? p.bytes : p.kind}`];
}

function tailLines(g: GlobalDefs, role: DumpRole): string[] {
  const out = [
    ...bufLines("vrrp_netlink_cmd_rcv_bufs", g.vrrpNetlinkCmdRcvBufs),
    ...bufLines("vrrp_netlink_monitor_rcv_bufs", g.vrrpNetlinkMonitorRcvBufs),
    ...bufLines("process_monitor_rcv_bufs", g.processMonitorRcvBufs),
    ...bufLines("lvs_netlink_cmd_rcv_bufs", g.lvsNetlinkCmdRcvBufs),
    ...bufLines("lvs_netlink_monitor_rcv_bufs", g.lvsNetlinkMonitorRcvBufs),
    ` rs_init_notifies = ${g.rsInitNotifies ? 1 : 0}`,
    ` no_checker_emails = ${g.noCheckerEmails ? 1 : 0}`,
    ...rxPolicy(g),
    ` rx_bufs_multiples = ${g.vrrpRxBufsMultiplier}`,
    ` umask = ${(g.umask ?? 0o177).toString(8).padStart(4, "0")}`,
  ];
  if (g.vrrpStartupDelayMs) out.push(` vrrp_startup_delay = ${g.vrrpStartupDelayMs / 1000}`);
  if (g.logUnknownVrids) out.push(" log_unknown_vrids");
  if (g.vmacPrefix !== "vrrp") out.push(` VMAC prefix = ${g.vmacPrefix}`);
  if (g.vmacAddrPrefix) out.push(` VMAC address prefix = ${g.vmacAddrPrefix}`);
  const sched = role === "vrrp" ? g.vrrpSched : role === "check" ? g.checkerSched : role === "bfd" ? g.bfdSched : null;
  if (sched?.rtPriority) {
    out.push(` current realtime priority = ${sched.rtPriority}`, ` current realtime time limit = ${sched.rlimitRttimeUs ?? 10000}`);
  }
  return out;
}

/** The Global definitions section, header included. */
export function globalSection(g: GlobalDefs, role: DumpRole): string[] {
  return [
    "------< Global definitions >------",
    ...identityLines(g, role),
    ` Disable local IGMP = ${g.disableLocalIgmp ? "yes" : "no"}`,
    ` LVS flush = ${tf(g.lvsFlush)}`,
    ` LVS flush on stop = ${g.lvsFlushOnStop === "none" ? "disabled" : g.lvsFlushOnStop === "all" ? "enabled" : "VS only"}`,
    ...lvsSyncLines(g),
    ...fifoLine("Global notify fifo", g.notifyFifo, g),
    ...fifoLine("VRRP notify fifo", g.vrrpNotifyFifo, g),
    ...fifoLine("LVS notify fifo", g.lvsNotifyFifo, g),
    ` FIFO write vrrp states on reload = ${tf(g.fifoWriteVrrpStatesOnReload)}`,
    ` VRRP notify priority changes = ${tf(g.vrrpNotifyPriorityChanges)}`,
    ...vrrpLines(g, role),
    ...schedLines("VRRP", g.vrrpSched),
    ...schedLines("Checker", g.checkerSched),
    ...schedLines("BFD", g.bfdSched),
    ` SNMP vrrp ${ed(g.enableSnmpVrrp)}`,
    ` SNMP checker ${ed(g.enableSnmpChecker)}`,
    ` SNMP RFCv2 ${ed(g.enableSnmpRfcV2)}`,
    ` SNMP RFCv3 ${ed(g.enableSnmpRfcV3)}`,
    ` SNMP traps ${ed(g.enableTraps)}`,
    ` SNMP socket = ${g.snmpSocket ?? "default (unix:/var/agentx/master)"}`,
    ` DBus ${ed(g.enableDbus)}`,
    ` DBus service name = ${g.dbusServiceName ?? ""}`,
    ` Script security ${ed(g.enableScriptSecurity)}`,
    ` Default script uid:gid ${uidGid(null, g)}`,
    ...tailLines(g, role),
  ];
}
