/**
 * The notifications keepalived 2.2.7 sends on VRRP state changes, with its varbinds:
 * KEEPALIVED-MIB vrrpSyncGroupStateChange (vrrpNotifications 1: group name and state, routerId) and
 * vrrpInstanceStateChange (2: instance name, state, initial state, routerId) — the name and state
 * objects without an instance suffix, as keepalived sends them; RFC 2787 vrrpTrapNewMaster
 * (vrrpOperMasterIpAddr) for a VRRPv2 IPv4 instance becoming master, and RFC 6527 vrrpv3NewMaster
 * (vrrpv3OperationsMasterIpAddr, vrrpv3StatisticsNewMasterReason) for every instance becoming master.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { InstanceLive, Transition } from "./live.ts";
import { groupState, ipBytes, KEEPALIVED_OID, type MibEnv, STATE_NUM } from "./mib-keepalived.ts";
import { VRRP_MIB_OID, VRRPV3_MIB_OID } from "./mib-rfc.ts";
import type { Varbind } from "./oid.ts";

/** A notification: its snmpTrapOID value and varbinds. */
export interface Trap {
  oid: number[];
  varbinds: Varbind[];
}

/** Which trap families are on. */
export interface TrapSwitches {
  keepalived: boolean;
  rfcv2: boolean;
  rfcv3: boolean;
}

const K = (...s: number[]) => [...KEEPALIVED_OID, ...s];

/** Remembers each sync group's last state, to send vrrpSyncGroupStateChange only on a change. */
export class TrapBuilder {
  readonly #groupState = new Map<string, number>();

  /** The traps for one instance transition (instance trap, then RFC new-master traps, then the group's). */
  build(t: Transition, env: MibEnv, on: TrapSwitches): Trap[] {
    const cfg = env.cfg;
    const v = cfg.vrrp.instances.find((i) => i.name === t.instance);
    if (!v) return [];
    const routerId: Varbind = { oid: K(1, 2, 0), type: "str", value: cfg.global.routerId ?? env.hostname };
    const out: Trap[] = [];
    if (on.keepalived) {
      out.push({
        oid: K(2, 10, 0, 2),
        varbinds: [
          { oid: K(2, 3, 1, 2), type: "str", value: v.name },
          { oid: K(2, 3, 1, 4), type: "int", value: STATE_NUM[t.to] },
          { oid: K(2, 3, 1, 5), type: "int", value: v.initialState === "MASTER" ? 2 : 1 },
          routerId,
        ],
      });
    }
    const live = env.live(v.name);
    if (t.to === "MASTER" && live) out.push(...newMaster(env, v, live, on));
    const g = cfg.vrrp.syncGroups.find((x) => x.name === v.syncGroup);
    if (g && on.keepalived) {
      const st = groupState(g, env.live);
      if (st !== STATE_NUM.INIT && this.#groupState.get(g.name) !== st) {
        this.#groupState.set(g.name, st);
        out.push({
          oid: K(2, 10, 0, 1),
          varbinds: [{ oid: K(2, 1, 1, 2), type: "str", value: g.name }, { oid: K(2, 1, 1, 3), type: "int", value: st }, routerId],
        });
      }
    }
    return out;
  }

  /** Forgets groups a reload removed. */
  retain(cfg: KeepalivedConfig): void {
    const names = new Set(cfg.vrrp.syncGroups.map((g) => g.name));
    for (const n of [...this.#groupState.keys()]) if (!names.has(n)) this.#groupState.delete(n);
  }
}

function newMaster(env: MibEnv, v: KeepalivedConfig["vrrp"]["instances"][number], live: InstanceLive, on: TrapSwitches): Trap[] {
  const ifindex = live.ifindex ?? env.ifindex(v.interface ?? "");
  const own = ipBytes(live.src);
  const out: Trap[] = [];
  const v4 = (v.family ?? "ipv4") === "ipv4";
  if (on.rfcv2 && v.version === 2 && v4) {
    out.push({
      oid: [...VRRP_MIB_OID, 0, 1],
      varbinds: [{ oid: [...VRRP_MIB_OID, 1, 3, 1, 7, ifindex, v.vrid], type: "ip", value: own.length === 4 ? own : new Uint8Array(4) }],
    });
  }
  if (on.rfcv3) {
    const ix = [ifindex, v.vrid, v4 ? 1 : 2];
    out.push({
      oid: [...VRRPV3_MIB_OID, 0, 1],
      varbinds: [
        { oid: [...VRRPV3_MIB_OID, 1, 1, 1, 1, 3, ...ix], type: "str", value: own },
        { oid: [...VRRPV3_MIB_OID, 1, 2, 5, 1, 2, ...ix], type: "int", value: v.priority === 255 ? 1 : 3 },
      ],
    });
  }
  return out;
}
