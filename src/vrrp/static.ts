/**
 * static_ipaddress / static_routes / static_rules (keepalived.conf(5)): installed when the VRRP child
 * starts whatever the VRRP states are, kept on reload when unchanged, removed when dropped from the
 * configuration or when the child stops. A static address deleted by someone else is put back (as
 * keepalived 2.2.7 does, with or without track_group: "Restoring deleted static address ..."), with the
 * static routes (the kernel may have flushed them with it); one marked no_track is left gone, as in
 * keepalived 2.2.7.
 */
import type { IpAddressSpec, RouteSpec, RuleSpec } from "../config/model.ts";
import type { VrrpSlice } from "../config/slice.ts";
import type { Logger } from "../core/log.ts";
import type { NetKernel } from "./netkernel.ts";
import { addrRequest, routeRequest, ruleRequest, sameRoute } from "./routes.ts";
import type { RouteGone } from "./netkernel.ts";
import { meaningKey } from "../config/meaning.ts";

type Item =
  | { kind: "addr"; spec: IpAddressSpec; key: string }
  | { kind: "route"; spec: RouteSpec; key: string }
  | { kind: "rule"; spec: RuleSpec; key: string };

const keyOf = (kind: string, x: object) => `${kind}:${meaningKey(x)}`;

/** The static items currently installed. */
export class StaticSet {
  #items: Item[] = [];

  constructor(readonly kernel: NetKernel, readonly log: Logger, readonly ifindex: (name: string) => number, readonly defaultIf: () => string | null) {}

  /** Installs what is new in `c` and removes what is gone. */
  apply(c: VrrpSlice): void {
    const want: Item[] = [
      ...c.vrrp.staticIpaddresses.map((spec) => ({ kind: "addr" as const, spec, key: keyOf("addr", spec) })),
      ...c.vrrp.staticRoutes.map((spec) => ({ kind: "route" as const, spec, key: keyOf("route", spec) })),
      ...c.vrrp.staticRules.map((spec) => ({ kind: "rule" as const, spec, key: keyOf("rule", spec) })),
    ];
    const keys = new Set(want.map((w) => w.key));
    for (const it of [...this.#items].reverse()) if (!keys.has(it.key)) this.#op(it, false);
    const have = new Set(this.#items.map((i) => i.key));
    for (const it of want) if (!have.has(it.key)) this.#op(it, true);
    this.#items = want;
  }

  /** An address was deleted: put it back if it is one of ours. */
  addrDeleted(address: string, index: number): void {
    let restored = false;
    for (const it of this.#items) {
      if (it.kind !== "addr" || it.spec.noTrack || it.spec.address !== address || this.#addrIndex(it.spec) !== index) continue;
      this.log.info(`Restoring deleted static address ${address} dev ${it.spec.dev ?? this.defaultIf() ?? "?"}`);
      this.#op(it, true);
      restored = true;
    }
    // The kernel drops routes through an interface that loses its last address: put ours back too.
    if (restored) { for (const it of this.#items) if (it.kind === "route" && !it.spec.noTrack) this.#op(it, true); }
  }

  /** A route vanished: a static route of ours is put back, as a deleted static address is. */
  routeDeleted(gone: RouteGone): void {
    for (const it of this.#items) {
      if (it.kind !== "route" || it.spec.noTrack) continue;
      const b = routeRequest(it.spec, this.ifindex);
      if (!b.ok || !sameRoute(b.value, gone)) continue;
      this.log.info(`Restoring deleted static route ${it.spec.dest}`);
      this.#op(it, true);
    }
  }

  /** Removes everything (child stop). */
  stop(): void {
    for (const it of [...this.#items].reverse()) this.#op(it, false);
    this.#items = [];
  }

  #addrIndex(v: IpAddressSpec): number {
    const dev = v.dev ?? this.defaultIf();
    return dev ? this.ifindex(dev) : 0;
  }

  #op(it: Item, add: boolean): void {
    const k = this.kernel;
    try {
      if (it.kind === "addr") {
        const index = this.#addrIndex(it.spec);
        if (!index) throw new Error(`interface ${it.spec.dev ?? "(default_interface)"} does not exist`);
        const r = addrRequest(it.spec, index);
        if (add) k.addAddr(r);
        else k.delAddr(r);
      } else if (it.kind === "route") {
        const b = routeRequest(it.spec, this.ifindex);
        if (!b.ok) throw new Error(b.reason);
        if (add) k.addRoute(b.value);
        else k.delRoute(b.value);
      } else {
        const b = ruleRequest(it.spec);
        if (!b.ok) throw new Error(b.reason);
        if (add) k.addRule(b.value);
        else k.delRule(b.value);
      }
    } catch (e) {
      const what = it.kind === "addr" ? it.spec.address : it.kind === "route" ? it.spec.dest : `from ${it.spec.from ?? "all"}`;
      this.log.error(`cannot ${add ? "add" : "remove"} static ${it.kind} ${what}: ${(e as Error).message}`);
    }
  }
}
