/**
 * Whole-config load in three steps (STYLE.md "Config as data"): preprocess -> walk the keyword trees
 * into drafts -> validate into the immutable model; then the script security check and the
 * `keepalived -t` exit code. Every I/O dependency is injected through the options.
 */
import { type Diagnostic, DiagSink, type ExitCode, exitCodeFor } from "./diag.ts";
import type { ListDir } from "./glob.ts";
import type { GlobalDefs, IpAddressSpec, KeepalivedConfig, VirtualServerGroup, VrrpInstance } from "./model.ts";
import { preprocess } from "./preprocess.ts";
import type { ReadOutcome } from "./read.ts";
import { newRaw, type RawConfig, ROOT } from "./root.ts";
import { type IoProbe, validateWithIo } from "./validate-io.ts";
import { walk } from "./tree.ts";
import { finishVs } from "./validate-check.ts";
import { checkRefs } from "./validate-refs.ts";
import { finishGlobal } from "./validate-global.ts";
import {
  finishBfds,
  finishGarpGroups,
  finishScripts,
  finishSyncGroups,
  finishTrackFiles,
  finishTrackGroups,
  finishTrackProcesses,
  unique,
} from "./validate-side.ts";
import { checkDuplicateVrids, finishInstance } from "./validate-vrrp.ts";
import { finishBgp } from "./validate-bgp.ts";

/** Fully resolved I/O for one load. */
export interface LoadIo extends IoProbe {
  readonly configId: string;
  readonly readFile: (path: string) => ReadOutcome;
  readonly listDir: ListDir;
  readonly interfaceExists: (name: string) => boolean;
  readonly randomSeed: number;
  readonly allConfig?: boolean;
}

/** Result of a load before the public wrapper. */
export interface LoadOutcome {
  config: KeepalivedConfig;
  diagnostics: Diagnostic[];
  exitCode: ExitCode;
  /** Logical lines the files gave (0: nothing at all, e.g. an empty file). */
  statements: number;
}

/**
 * Freezes every object of the model; arrays are walked but left as they are (their types are `readonly`):
 * JavaScriptCore moves an array it freezes, seals or makes non-extensible into its slow sparse storage,
 * ~290 bytes more per array, which at 10,000 real servers was ~3 MiB of the parent's heap and ~2 MiB of
 * malloc (bench/RESULTS.md, "2026-12-03, issue 12, the parent's memory").
 */
function deepFreeze<T>(o: T): T {
  if (o === null || typeof o !== "object" || Object.isFrozen(o)) return o;
  if (Array.isArray(o)) {
    for (const v of o) if (v !== null && typeof v === "object") deepFreeze(v);
    return o;
  }
  const rec = o as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (v !== null && typeof v === "object") deepFreeze(v);
  }
  return Object.freeze(o);
}

function staticInterfaces(ips: readonly IpAddressSpec[], dflt: string, io: LoadIo, diags: DiagSink): void {
  for (const ip of ips) {
    const dev = ip.dev ?? dflt;
    if (!io.interfaceExists(dev)) {
      diags.error(ip.src, `static address ${ip.address}: interface '${dev}' does not exist`);
    }
  }
}

function finishVrrp(
  raw: RawConfig,
  cfg: Pick<KeepalivedConfig, "global">,
  bfdNames: Set<string>,
  io: LoadIo,
  diags: DiagSink,
) {
  const g = cfg.global;
  const scripts = finishScripts(raw.scripts, diags);
  const trackFiles = finishTrackFiles(raw.trackFiles, diags);
  const trackProcesses = finishTrackProcesses(raw.trackProcesses, diags);
  const refs = {
    scripts: new Set(scripts.map((s) => s.name)),
    trackFiles: new Set(trackFiles.map((s) => s.name)),
    trackProcesses: new Set(trackProcesses.map((s) => s.name)),
    bfds: bfdNames,
    interfaceExists: io.interfaceExists,
  };
  let instances: VrrpInstance[] = [];
  for (const d of unique(raw.instances, "vrrp_instance", diags)) {
    const v = finishInstance(d, g, refs, diags);
    if (v) instances.push(v);
  }
  const dropped = checkDuplicateVrids(instances, diags);
  instances = instances.filter((v) => !dropped.has(v.name));
  const sync = finishSyncGroups(raw.syncGroups, instances, diags);
  const names = new Set(instances.map((v) => v.name));
  if (!g.dynamicInterfaces) staticInterfaces(raw.staticIps, g.defaultInterface ?? "eth0", io, diags);
  const garpGroups = finishGarpGroups(raw.garpGroups, diags);
  const trackGroups = finishTrackGroups(raw.trackGroups, names, diags);
  const statics = [...raw.staticIps, ...raw.staticRoutes, ...raw.staticRules];
  checkRefs(
    {
      garpGroups,
      syncGroups: sync.groups,
      linkbeat: raw.linkbeat,
      ifDelays: raw.ifDelays,
      statics,
      trackGroups,
    },
    io.interfaceExists,
    g.dynamicInterfaces,
    diags,
  );
  return {
    scripts,
    trackFiles,
    trackProcesses,
    garpGroups,
    syncGroups: sync.groups,
    instances: sync.instances,
    staticIpaddresses: raw.staticIps,
    staticRoutes: raw.staticRoutes,
    staticRules: raw.staticRules,
    trackGroups,
    linkbeatInterfaces: raw.linkbeat.map((l) => l.name),
    linkbeatTypes: Object.fromEntries(raw.linkbeat.flatMap((l) => (l.type ? [[l.name, l.type]] : []))),
    interfaceUpDownDelays: raw.ifDelays.map(({ ifname, upDelayMs, downDelayMs }) => ({
      ifname,
      upDelayMs,
      downDelayMs,
    })),
  };
}

/** Build the validated model from a raw walk result. */
export function finish(file: string, raw: RawConfig, io: LoadIo, diags: DiagSink): KeepalivedConfig {
  const bfdInstances = finishBfds(raw.bfds, diags);
  // bfd_instance `vrrp` / `checker`: each child knows only the sessions that report to it (keepalived
  // 2.2.7: "track bfd NAME not found", "BFD_CHECK - BFD NAME not configured" for the others).
  const bfdNames = new Set(bfdInstances.filter((b) => b.toVrrp).map((b) => b.name));
  const checkBfds = new Set(bfdInstances.filter((b) => b.toChecker).map((b) => b.name));
  const parsed = finishGlobal(raw.global);
  const vrrp = finishVrrp(raw, { global: parsed }, bfdNames, io, diags);
  const global = syncDaemonOfInstance(parsed, vrrp.instances, diags);
  const groups = new Map<string, VirtualServerGroup>();
  for (const g of unique(raw.vsgs, "virtual_server_group", diags)) {
    groups.set(g.name, { name: g.name, entries: g.entries, src: g.src });
  }
  const refs = { trackFiles: new Set(vrrp.trackFiles.map((t) => t.name)), bfds: checkBfds, groups };
  const virtualServers = raw.vss.map((v) => finishVs(v, global, refs, diags)).filter((v) => v !== undefined);
  const s = raw.ssl;
  const ssl = s
    ? {
      password: s.password ?? null,
      caFile: s.caFile ?? null,
      certificateFile: s.certificateFile ?? null,
      keyFile: s.keyFile ?? null,
    }
    : null;
  return {
    file,
    global,
    vrrp,
    check: { ssl, virtualServerGroups: [...groups.values()], virtualServers },
    bfd: { instances: bfdInstances },
    bgp: { announces: finishBgp(raw.bgps, { ...vrrp, virtualServers }, diags) },
  };
}

/**
 * `lvs_sync_daemon_interface IF` in a vrrp_instance, the old form of `lvs_sync_daemon IF INSTANCE`: as in
 * keepalived 2.2.7 the first one sets the global sync daemon (interface, that instance) unless global_defs
 * already has one, which wins ("has already been specified as ... - ignoring").
 */
function syncDaemonOfInstance(g: GlobalDefs, instances: readonly VrrpInstance[], diags: DiagSink): GlobalDefs {
  let out = g;
  for (const i of instances) {
    if (i.lvsSyncDaemonInterface === null) continue;
    if (out.lvsSyncDaemon) {
      diags.warn(i.src, `(${i.name}) lvs_sync_daemon_interface has already been specified as ${out.lvsSyncDaemon.interface} - ignoring`);
      continue;
    }
    const d = { interface: i.lvsSyncDaemonInterface, vrrpInstance: i.name, syncId: null, maxLen: null, port: null, ttl: null, group: null };
    out = { ...out, lvsSyncDaemon: d };
  }
  return out;
}

/** Load, validate and freeze a configuration. */
export function load(path: string, io: LoadIo): LoadOutcome {
  const diags = new DiagSink();
  const lines = preprocess(path, io, diags);
  const raw = newRaw();
  if (lines === undefined) diags.add({ file: path, line: 0 }, "fatal", "configuration file cannot be read");
  else walk(lines, ROOT, raw, diags);
  const config = validateWithIo(finish(path, raw, io, diags), io, diags);
  return { config: deepFreeze(config), diagnostics: diags.list, exitCode: exitCodeFor(diags.list), statements: lines?.length ?? 0 };
}
