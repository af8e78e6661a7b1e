/**
 * SNMP in the parent (keepalived.conf(5) global_defs: snmp_socket, enable_snmp_vrrp /
 * enable_snmp_keepalived, enable_snmp_checker, enable_snmp_rfc / rfcv2 / rfcv3, enable_traps;
 * keepalived(8) -x, -A): one AgentX session to snmpd answering KEEPALIVED-MIB and the VRRP MIBs from
 * the configuration and what the children report, and sending the traps of each VRRP transition and
 * each real / virtual server change. The parent answers, so a walk
 * works while a child restarts; SNMP is off the VRRP child's path entirely.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { KeepalivedConfig } from "../config/model.ts";
import type { Message, Role } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import { VERSION } from "../version.ts";
import { AgentXClient, parseMasterAddress } from "./agentx.ts";
import { VrrpLive } from "./live.ts";
import { globalRows, KEEPALIVED_OID, type MibEnv, vrrpRows } from "./mib-keepalived.ts";
import { rfc2787Rows, rfc6527Rows, VRRP_MIB_OID, VRRPV3_MIB_OID } from "./mib-rfc.ts";
import { MibView, type Varbind } from "./oid.ts";
import { TrapBuilder, type TrapSwitches } from "./traps.ts";
import { CheckLive, checkRows, checkTrap } from "./mib-check.ts";

/** keepalived's default master socket (net-snmp's AgentX default). */
export const DEFAULT_AGENTX_SOCKET = "unix:/var/agentx/master";

/** The command-line side: -x and -A. */
export interface SnmpCli {
  snmp: boolean;
  snmpSocket?: string;
}

/** What SNMP serves for a configuration and command line. */
export interface SnmpPlan {
  socket: string;
  vrrp: boolean;
  checker: boolean;
  rfcv2: boolean;
  rfcv3: boolean;
  traps: boolean;
}

/** The plan, or null when SNMP is off. `-x` turns on every MIB; `-A` wins over `snmp_socket`. */
export function snmpPlan(cfg: KeepalivedConfig, cli: SnmpCli): SnmpPlan | null {
  const g = cfg.global;
  const p: SnmpPlan = {
    socket: cli.snmpSocket ?? g.snmpSocket ?? DEFAULT_AGENTX_SOCKET,
    vrrp: cli.snmp || g.enableSnmpVrrp,
    checker: cli.snmp || g.enableSnmpChecker,
    rfcv2: cli.snmp || g.enableSnmpRfcV2,
    rfcv3: cli.snmp || g.enableSnmpRfcV3,
    traps: g.enableTraps,
  };
  return p.vrrp || p.checker || p.rfcv2 || p.rfcv3 ? p : null;
}

/** Index of an interface in this network namespace (0 when absent). */
export function sysIfindex(name: string): number {
  if (!name || name.includes("/")) return 0;
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** The parent's SNMP subagent. */
export class SnmpService {
  readonly live = new VrrpLive();
  readonly checks = new CheckLive();
  readonly #traps = new TrapBuilder();
  #client: AgentXClient | undefined;
  #plan: SnmpPlan | null = null;
  #cfg: KeepalivedConfig;
  #view: MibView | undefined;
  readonly #startedAt = Date.now();
  readonly #host = hostname();

  constructor(readonly log: Logger, cfg: KeepalivedConfig, readonly cli: SnmpCli) {
    this.#cfg = cfg;
  }

  /** Applies a (re)loaded configuration: starts, moves or stops the session. */
  setConfig(cfg: KeepalivedConfig): void {
    this.#cfg = cfg;
    this.#view = undefined;
    this.live.retain(new Set(cfg.vrrp.instances.map((v) => v.name)));
    this.#traps.retain(cfg);
    let plan: SnmpPlan | null;
    try {
      plan = snmpPlan(cfg, this.cli);
      if (plan) parseMasterAddress(plan.socket);
    } catch (e) {
      this.log.error(`SNMP: ${(e as Error).message}; SNMP is off`);
      plan = null;
    }
    const same = JSON.stringify(plan) === JSON.stringify(this.#plan);
    this.#plan = plan;
    if (same && (this.#client || !plan)) return;
    this.#client?.stop();
    this.#client = undefined;
    if (!plan) return;
    const roots: (readonly number[])[] = [];
    if (plan.vrrp || plan.checker) roots.push(KEEPALIVED_OID);
    if (plan.rfcv2) roots.push(VRRP_MIB_OID);
    if (plan.rfcv3) roots.push(VRRPV3_MIB_OID);
    const client = new AgentXClient({
      master: parseMasterAddress(plan.socket),
      log: this.log,
      roots,
      view: () => this.view(),
      description: `keepalived-ts ${VERSION}`,
    });
    this.#client = client;
    this.log.info(`Starting SNMP subagent (${plan.socket})`);
    client.start().catch((e) => this.log.error(`SNMP: cannot load the AgentX library: ${(e as Error).message}`));
  }

  /** The AgentX session (for tests and the dump). */
  get client(): AgentXClient | undefined {
    return this.#client;
  }

  /** Feeds a child message; a VRRP transition sends its traps. */
  onMessage(role: Role, msg: Message): void {
    if (!this.#plan) return;
    const t = this.live.onMessage(role, msg);
    const checkEvent = this.checks.onMessage(msg);
    if (msg.type === "vrrpState" || msg.type === "metrics" || checkEvent) this.#view = undefined;
    if (checkEvent && this.#plan.traps && this.#plan.checker) {
      const trap = checkTrap(msg, this.#env(), this.checks);
      if (trap) this.#client?.notify(trap.oid, trap.varbinds);
    }
    if (!t || !this.#plan.traps) return;
    const on: TrapSwitches = { keepalived: this.#plan.vrrp, rfcv2: this.#plan.rfcv2, rfcv3: this.#plan.rfcv3 };
    for (const trap of this.#traps.build(t, this.#env(), on)) this.#client?.notify(trap.oid, trap.varbinds);
  }

  /** The current MIB view (cached until the state or the configuration changes). */
  view(): MibView {
    if (this.#view) return this.#view;
    const env = this.#env();
    const plan = this.#plan;
    const rows: Varbind[] = [];
    if (plan?.vrrp || plan?.checker) rows.push(...globalRows(env));
    if (plan?.vrrp) rows.push(...vrrpRows(env));
    if (plan?.checker) rows.push(...checkRows(this.#cfg, this.checks));
    if (plan?.rfcv2) rows.push(...rfc2787Rows(env, this.#startedAt));
    if (plan?.rfcv3) rows.push(...rfc6527Rows(env, this.#startedAt));
    this.#view = new MibView(rows);
    return this.#view;
  }

  #env(): MibEnv {
    const cache = new Map<string, number>();
    return {
      cfg: this.#cfg,
      live: (n) => this.live.get(n),
      script: (n) => this.live.script(n),
      ifindex: (n) => cache.get(n) ?? (cache.set(n, sysIfindex(n)), cache.get(n)!),
      hostname: this.#host,
      version: `Keepalived v2.2.7 compatible (keepalived-ts ${VERSION})`,
    };
  }

  /** Closes the session. */
  stop(): void {
    this.#client?.stop();
    this.#client = undefined;
  }
}
