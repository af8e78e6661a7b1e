/**
 * A VRRP instance's addresses in the kernel (RFC 5798 §6.4.3 "Transition to Master": the virtual
 * addresses, here with keepalived's virtual_routes and virtual_rules, and the no_accept drop rule):
 * added on becoming MASTER (drop rule, addresses, routes, rules), removed in reverse on leaving it. A tracked
 * one (not no_track) that someone else deletes while we are MASTER is reported, and the instance resigns and
 * re-elects (as keepalived 2.2.7 does); a deleted virtual route is put back. The runner (instance.ts) says when.
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger, RateLimitedLog } from "../core/log.ts";
import { rtGuard } from "../core/rt-guard.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { AddrRequest } from "../proto/rtnl-addr.ts";
import type { Firewall } from "./firewall.ts";
import { instanceKeys } from "./firewall-rules.ts";
import type { NetKernel, RouteGone } from "./netkernel.ts";
import { addrDev } from "./addr-dev.ts";
import { addrRequest, routeRequest, ruleRequest, sameRoute } from "./routes.ts";

/** How long a removal event for an address we removed ourselves counts as its echo, ms. */
const OWN_DELETE_ECHO_MS = 5_000;

/** What the applier needs of the instance's environment (a subset of InstanceEnv). */
export interface VipEnv {
  sched: Scheduler;
  kernel: NetKernel;
  badPackets: RateLimitedLog;
  ifindex(name: string): number;
  vipMetric?(address: string, prefixLen: number): number | undefined;
  firewall?: { fw: Firewall; byName: boolean };
}

/** The addresses, routes, rules and drop rule of one instance. */
export class VipApplier {
  /** Our addresses are in the kernel (between add() and remove()). */
  installed = false;
  /** Addresses we removed ourselves, so the kernel's echo of it is not "someone else". */
  readonly #ownDeletes = new Map<string, { count: number; at: number }>();

  constructor(
    readonly cfg: VrrpInstance,
    readonly place: () => { ifindex: number; ifname: string },
    readonly env: VipEnv,
    readonly log: Logger,
  ) {}

  /** The address requests for our VIPs (and excluded addresses). */
  requests(): AddrRequest[] {
    return this.#addrSpecs().map((v) => {
      const dev = addrDev(v);
      const r = addrRequest(v, dev ? this.env.ifindex(dev) : this.place().ifindex);
      const metric = this.env.vipMetric?.(v.address, v.prefixLen);
      return metric === undefined ? r : { ...r, routePriority: metric };
    });
  }

  /** Addresses, then virtual_routes (a route may use a VIP as source), then virtual_rules. */
  add(): void {
    for (const r of this.requests()) this.#op(() => this.env.kernel.addAddr(r), `add ${r.address}/${r.prefixLen}`);
    for (const { spec, req } of this.#routes()) this.#op(() => this.env.kernel.addRoute(req), `add route ${spec.dest}`);
    for (const { spec, req } of this.#rules()) this.#op(() => this.env.kernel.addRule(req), `add rule ${spec.from ?? "all"}`);
    this.installed = true;
  }

  /** Rules, routes, then addresses. */
  remove(): void {
    for (const { spec, req } of this.#rules()) this.#op(() => this.env.kernel.delRule(req), `remove rule ${spec.from ?? "all"}`);
    for (const { spec, req } of this.#routes()) this.#op(() => this.env.kernel.delRoute(req), `remove route ${spec.dest}`);
    for (const r of this.requests()) {
      this.#op(() => {
        if (!this.env.kernel.delAddr(r)) return;
        this.#ownDeletes.set(r.address, { count: (this.#ownDeletes.get(r.address)?.count ?? 0) + 1, at: this.env.sched.now() });
      }, `remove ${r.address}/${r.prefixLen}`);
    }
    this.installed = false;
  }

  /** no_accept: the addresses' drop rule, set before the VIPs are added and removed after they go. */
  firewall(op: "block" | "unblock"): void {
    const fw = this.env.firewall;
    if (!fw || this.cfg.accept || this.cfg.priority === 255) return;
    const keys = instanceKeys(this.cfg, this.place(), (d) => this.env.ifindex(d), fw.byName && this.cfg.dontTrackPrimary);
    this.log.info(`${op === "block" ? "setting" : "removing"} firewall drop rule`);
    fw.fw[op](this.cfg.name, keys);
  }

  /**
   * A VIP vanished. Returns its interface when, while `master`, someone else deleted one of ours that is
   * tracked: the instance then resigns and re-elects (fsm.ts vipDeleted), which puts every VIP back.
   * A no_track one stays gone, with no state change, until the next transition to MASTER (keepalived 2.2.7).
   */
  vipDeleted(address: string, index: number, master: boolean): string | undefined {
    const ours = this.#ownDeletes.get(address);
    if (ours && --ours.count <= 0) this.#ownDeletes.delete(address);
    if (ours && this.env.sched.now() - ours.at < OWN_DELETE_ECHO_MS) return undefined; // the echo of our own removal
    if (!master || !this.installed) return undefined;
    const specs = this.#addrSpecs();
    const i = specs.findIndex((v) => v.address === address);
    // The same address on another interface is not ours.
    if (i < 0 || specs[i]!.noTrack || this.requests()[i]!.index !== index) return undefined;
    return addrDev(specs[i]!) ?? this.place().ifname;
  }

  /** A route vanished; while `master`, one of our virtual routes is put back. */
  routeDeleted(gone: RouteGone, master: boolean): void {
    if (!master || !this.installed) return;
    for (const { spec, req } of this.#routes()) {
      if (spec.noTrack || !sameRoute(req, gone)) continue;
      this.log.warn(`virtual route ${spec.dest} was removed by someone else; restoring it`);
      this.#op(() => this.env.kernel.addRoute(req), `restore route ${spec.dest}`);
    }
  }

  #addrSpecs() {
    return [...this.cfg.virtualIpaddresses, ...this.cfg.virtualIpaddressesExcluded];
  }

  #op(f: () => unknown, what: string): void {
    try {
      f();
    } catch (e) {
      this.log.error(`cannot ${what}: ${(e as Error).message}`);
    }
    rtGuard.checkpoint();
  }

  #routes() {
    return this.cfg.virtualRoutes.flatMap((spec) => {
      const b = routeRequest(spec, (n) => this.env.ifindex(n));
      if (!b.ok) this.env.badPackets.warn(`${this.cfg.name}:route`, `(${this.cfg.name}) virtual route ${spec.dest}: ${b.reason}`);
      return b.ok ? [{ spec, req: b.value }] : [];
    });
  }

  #rules() {
    return this.cfg.virtualRules.flatMap((spec) => {
      const b = ruleRequest(spec);
      if (!b.ok) this.env.badPackets.warn(`${this.cfg.name}:rule`, `(${this.cfg.name}) virtual rule: ${b.reason}`);
      return b.ok ? [{ spec, req: b.value }] : [];
    });
  }
}
