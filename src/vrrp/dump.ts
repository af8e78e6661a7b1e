/**
 * The VRRP child's dumps in keepalived 2.2.7's layouts and file names: USR1 data (keepalived.data:
 * global definitions, static addresses/routes/rules, VRRP topology, socket pool, sync groups, scripts,
 * track files and processes, from src/dump/), USR2 statistics (keepalived.stats) and the JSON dump
 * (keepalived.json, keepalived's --enable-json shape: one {data, stats} object per instance, states
 * 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT). docs/dumps.md lists what differs from keepalived's files.
 */
import type { VrrpSlice } from "../config/slice.ts";
import type { InstanceLive } from "../dump/ka-vrrp.ts";
import { type SocketLive, type VrrpLive, vrrpText } from "../dump/ka-vrrp-misc.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import type { VrrpRuntime } from "./runtime.ts";

/** What the dumps read from the VRRP runtime. */
export type VrrpDumpSource = Pick<VrrpRuntime, "instances" | "sockets" | "scripts" | "groups" | "priorityReasons" | "trackerValues">;

/** Converts the scheduler's monotonic ms to wall-clock ms. */
export interface Clock {
  wallMs: number;
  monoMs: number;
}

function instanceLive(src: VrrpDumpSource, r: VrrpInstanceRunner, clock: Clock): InstanceLive {
  const at = r.lastTransition?.at;
  return {
    state: r.state,
    ifname: r.place.ifname,
    ifindex: r.place.ifindex,
    src: r.place.src,
    effectivePriority: r.fsm.priority,
    faults: src.priorityReasons(r).faults.length,
    lastTransitionMs: at === undefined ? undefined : clock.wallMs - (clock.monoMs - at),
    master: r.heard ? { address: r.heard.address, priority: r.heard.priority } : undefined,
    socketFault: r.socketFault,
  };
}

function socketLive(cfg: VrrpSlice, src: VrrpDumpSource, runners: readonly VrrpInstanceRunner[]): SocketLive[] {
  return src.sockets().map((s) => {
    const users = runners.filter((r) => r.place.ifname === s.ifname && r.family === s.family);
    const unicast = users.some((r) => r.cfg.unicastPeers.length > 0);
    return {
      ifname: s.ifname,
      family: s.family,
      unicastSrc: unicast ? (s.key.split("/").slice(4).join("/") || null) : null,
      rxBufConfigured: cfg.global.vrrpRxBufsPolicy || users.some((r) => r.cfg.kernelRxBufSizeBytes) ? s.rxBufferBytes : 0,
      rxBufferBytes: s.rxBufferBytes,
      instances: users.map((r) => ({ name: r.cfg.name, vrid: r.cfg.vrid })),
      drops: s.drops,
      overflows: s.overflows,
    };
  });
}

/** The run-time view the keepalived-layout text needs. */
export function vrrpLive(cfg: VrrpSlice, src: VrrpDumpSource, clock: Clock): VrrpLive {
  const runners = src.instances();
  const t = src.trackerValues();
  return {
    instances: new Map(runners.map((r) => [r.cfg.name, instanceLive(src, r, clock)])),
    groups: new Map(src.groups().map((g) => [g.name, g.state])),
    scripts: new Map(src.scripts().map((s) => [s.name, { up: s.up, running: s.running }])),
    files: t.files,
    processes: t.processes,
    sockets: socketLive(cfg, src, runners),
    bfds: t.bfds,
  };
}

/** USR1 text (keepalived.data). */
export function dataDump(cfg: VrrpSlice, src: VrrpDumpSource, clock: Clock = { wallMs: Date.now(), monoMs: performance.now() }): string {
  return vrrpText(cfg, vrrpLive(cfg, src, clock), clock.wallMs).join("\n") + "\n";
}

/** USR2 text (keepalived.stats). "Other" (ours) ends the Packet Errors block. */
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
