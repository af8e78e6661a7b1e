/**
 * VRRP dumps in keepalived's layouts: the data dump (USR1, /tmp/keepalived.data), the statistics
 * (USR2, /tmp/keepalived.stats) and the JSON dump (/tmp/keepalived.json: an array of {data, stats} per
 * instance with keepalived's field names and state numbers 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT).
 */
import type { VrrpInstanceRunner } from "./instance.ts";
import type { SocketView } from "./sockets.ts";

const STATE_NUM: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** USR1 text. */
export function dataDump(instances: readonly VrrpInstanceRunner[], now = new Date(), sockets: readonly SocketView[] = []): string {
  const out = [`------< Keepalived VRRP data dump, ${now.toUTCString()} >------`, "", "------< VRRP Topology >------"];
  for (const r of instances) {
    const c = r.cfg;
    out.push(
      ` VRRP Instance = ${c.name}`,
      `   VRRP Version = ${c.version}`,
      `   State = ${r.state}`,
      `   Interface = ${r.place.ifname}`,
      `   Using src_ip = ${r.place.src}`,
      `   Virtual Router ID = ${c.vrid}`,
      `   Priority = ${c.priority}`,
      `   Effective priority = ${r.fsm.priority}`,
      `   Advert interval = ${c.advertIntMs} milli-sec`,
      `   Preempt = ${c.nopreempt ? "disabled" : "enabled"}`,
      `   Preempt delay = ${c.preemptDelayMs / 1000} secs`,
      `   Authentication type = ${c.auth ? c.auth.type : "none"}`,
      `   Unicast peers = ${c.unicastPeers.length ? c.unicastPeers.map((p) => p.address).join(" ") : "(none)"}`,
      `   Virtual IP (${c.virtualIpaddresses.length}):`,
      ...c.virtualIpaddresses.map((v) => `     ${v.address}/${v.prefixLen} dev ${v.dev ?? r.place.ifname}`),
      `   Fault = ${r.fsm.fault ? "yes" : "no"}`,
      ...(r.socketFault ? [`   Socket fault = ${r.socketFault} (retrying)`] : []),
    );
  }
  if (sockets.length) out.push("", "------< VRRP Sockets >------");
  for (const s of sockets) {
    out.push(` ${s.ifname} ${s.family}: receive buffer ${s.rxBufferBytes} bytes, kernel drops ${s.drops}, overflows ${s.overflows}`);
  }
  return out.join("\n") + "\n";
}

/** USR2 text. */
export function statsDump(instances: readonly VrrpInstanceRunner[]): string {
  const out: string[] = [];
  for (const r of instances) {
    const s = r.stats;
    out.push(
      `VRRP Instance: ${r.cfg.name}`,
      "  Advertisements:",
      `    Received: ${s.advertRcvd}`,
      `    Sent: ${s.advertSent}`,
      `  Became master: ${s.becomeMaster}`,
      `  Released master: ${s.releaseMaster}`,
      "  Packet Errors:",
      `    Length: ${s.packetLenErr}`,
      `    TTL: ${s.ipTtlErr}`,
      `    Invalid Type: ${s.invalidType}`,
      `    Advertisement Interval: ${s.advertIntervalErr}`,
      `    Address List: ${s.addrListErr}`,
      `    Other: ${s.otherErr}`,
      "  Authentication Errors:",
      `    Invalid Type: ${s.invalidAuthType}`,
      `    Type Mismatch: ${s.authTypeMismatch}`,
      `    Failure: ${s.authFailure}`,
      "  Priority Zero:",
      `    Received: ${s.pri0Rcvd}`,
      `    Sent: ${s.pri0Sent}`,
    );
  }
  return out.join("\n") + "\n";
}

/** JSON dump. */
export function jsonDump(instances: readonly VrrpInstanceRunner[]): string {
  return JSON.stringify(instances.map((r) => {
    const c = r.cfg, s = r.stats;
    return {
      data: {
        iname: c.name, ifp_ifname: r.place.ifname, vrid: c.vrid, version: c.version, state: STATE_NUM[r.state] ?? -1,
        wantstate: c.initialState === "MASTER" ? 2 : 1, base_priority: c.priority, effective_priority: r.fsm.priority,
        adver_int: c.advertIntMs / 1000, nopreempt: c.nopreempt ? 1 : 0, preempt_delay: c.preemptDelayMs / 1000,
        saddr: r.place.src, vips: c.virtualIpaddresses.map((v) => `${v.address}/${v.prefixLen}`),
        evips: c.virtualIpaddressesExcluded.map((v) => `${v.address}/${v.prefixLen}`),
        unicast_peer: c.unicastPeers.map((p) => p.address), auth_type: c.auth ? (c.auth.type === "PASS" ? 1 : 2) : 0,
        garp_delay: c.garpMasterDelayMs / 1000, smtp_alert: c.smtpAlert ? 1 : 0, sync_group: c.syncGroup,
      },
      stats: {
        advert_rcvd: s.advertRcvd, advert_sent: s.advertSent, become_master: s.becomeMaster, release_master: s.releaseMaster,
        packet_len_err: s.packetLenErr, advert_interval_err: s.advertIntervalErr, ip_ttl_err: s.ipTtlErr,
        invalid_type_rcvd: s.invalidType, addr_list_err: s.addrListErr, invalid_authtype: s.invalidAuthType,
        authtype_mismatch: s.authTypeMismatch, auth_failure: s.authFailure, pri_zero_rcvd: s.pri0Rcvd, pri_zero_sent: s.pri0Sent,
      },
    };
  }), null, 2) + "\n";
}
