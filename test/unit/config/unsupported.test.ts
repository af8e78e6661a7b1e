/**
 * The table of keywords that are parsed and not acted on (src/config/unsupported.ts) against the
 * keyword trees and the model: entries name real keywords; an entry's field is read nowhere outside
 * src/config (else the keyword is implemented and must leave the table); and every model field that
 * nothing outside src/config reads is either in the table or listed below as consumed inside the
 * configuration code. A keyword therefore cannot be accepted and silently ignored.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { ROOT } from "../../../src/config/root.ts";
import type { Table } from "../../../src/config/tree.ts";
import { UNSUPPORTED, UNSUPPORTED_OPTIONS } from "../../../src/config/unsupported.ts";
import { withSection } from "../../../src/config/unsupported-doc.ts";
import { diagLines, loadText } from "../../support/config/helpers.ts";

const SRC = `${import.meta.dir}/../../../src`;

/** Model fields read only by the configuration code, each with where its effect goes. */
const CONFIG_ONLY: Readonly<Record<string, string>> = {
  allowIfChanges: "dynamic_interfaces option; interface checks are skipped by dynamicInterfaces",
  includeCheck: "preprocessor include checks",
  randomSeed: "preprocessor ${_RANDOM}",
  jsonVersion: "checked at load: 1 is the layout keepalived.json has, 2 is reported as unsupported",
  useSymlinkPaths: "script resolution at load (scripts.ts)",
  noVirtualIpaddress: "the no-VIP check at load",
  strictMode: "strict-mode rules applied at load",
  globalTracking: "folded into syncGroupTrackingWeight",
  vrrpVersion: "instance version default",
  vrrpMcastGroup4: "instance mcast_dst_ip default",
  vrrpNotifyPriorityChanges: "instance notify_priority_changes default",
  vrrpMcastGroup6: "instance mcast_dst_ip default",
  vrrpStrict: "instance strict default",
  vrrpCheckUnicastSrc: "instance unicast source check default",
  vrrpDownTimerAdverts: "instance default",
  vrrpHigherPrioSendAdvert: "instance default",
  vrrpLowerPrioNoAdvert: "instance default",
  vrrpSkipCheckAdvAddr: "instance default",
  vrrpOwnerIgnoreAdverts: "instance ownerIgnoreAdverts",
  vrrpGarpExtraIf: "instance garp_extra_if default",
  vrrpGarpMasterDelayMs: "instance default",
  vrrpGarpMasterRepeat: "instance default",
  vrrpGarpMasterRefreshMs: "instance default",
  vrrpGarpMasterRefreshRepeat: "instance default",
  vrrpGarpLowerPrioDelayMs: "instance default",
  vrrpGarpLowerPrioRepeat: "instance default",
  vmacAddrPrefix: "address VMAC names (vmac-addr.ts)",
  useVmacAddr: "address VMACs (vmac-addr.ts)",
  nativeIpv6: "instance family (validate-vrrp.ts)",
  lvsSyncDaemonInterface: "folded into global lvsSyncDaemon (load.ts)",
  debugLevel: 'shown in the dumps only, as keepalived 2.2.7 ("not implemented yet" in keepalived.conf(5))',
};

function tableAt(path: string): Table<never> | undefined {
  let t: Table<never> | undefined = ROOT as Table<never>;
  for (const k of path === "" ? [] : path.split("/")) t = t?.[k]?.block?.table();
  return t;
}

function sourcesOutsideConfig(dir = SRC, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      // src/dump prints every configured value as keepalived's dumps do: printing is not implementing.
      if (p !== `${SRC}/config` && p !== `${SRC}/dump`) sourcesOutsideConfig(p, out);
    } else if (e.name.endsWith(".ts")) out.push(fs.readFileSync(p, "utf8"));
  }
  return out;
}

const outside = sourcesOutsideConfig().join("\n");
const usedOutside = (field: string): boolean => new RegExp(`\\b${field}\\b`).test(outside);
const modelFields = [
  ...new Set(
    ["model.ts", "model-check.ts", "model-bfd.ts"].flatMap((f) =>
      [...fs.readFileSync(`${SRC}/config/${f}`, "utf8").matchAll(/^\s+readonly (\w+)\??:/gm)].map((m) => m[1]!)
    ),
  ),
];

describe("unsupported keyword table", () => {
  test("every entry names a keyword of the tree at each of its paths", () => {
    const missing: string[] = [];
    for (const u of UNSUPPORTED) {
      for (const p of u.paths) {
        const t = tableAt(p);
        for (const k of u.keywords) if (!t || !Object.hasOwn(t, k)) missing.push(`${p || "(top)"}: ${k}`);
      }
    }
    expect(missing).toEqual([]);
  });
  test("no entry's field is read outside src/config (a read means it is implemented: drop the entry)", () => {
    expect(UNSUPPORTED.filter((u) => usedOutside(u.field)).map((u) => `${u.keywords[0]} (${u.field})`)).toEqual([]);
    expect(UNSUPPORTED_OPTIONS.filter((o) => usedOutside(o.field)).map((o) => o.option)).toEqual([]);
  });
  test("every model field unread outside src/config is in the table or consumed inside the config code", () => {
    const known = new Set([
      ...UNSUPPORTED.map((u) => u.field),
      ...UNSUPPORTED_OPTIONS.map((o) => o.field),
      ...Object.keys(CONFIG_ONLY),
    ]);
    expect(modelFields.filter((f) => !usedOutside(f) && !known.has(f))).toEqual([]);
  });
  test("the config-only list holds only fields that are indeed unread outside src/config", () => {
    expect(Object.keys(CONFIG_ONLY).filter(usedOutside)).toEqual([]);
  });
  test("docs/config.md lists exactly the table (bun src/config/unsupported-doc.ts regenerates it)", () => {
    const doc = fs.readFileSync(`${SRC}/../docs/config.md`, "utf8");
    expect(withSection(doc)).toBe(doc);
  });
  test("a use is reported at its line without changing the -t exit code", () => {
    const r = loadText("global_defs {\n router_id a\n lvs_netlink_monitor_rcv_bufs 1000\n}\nnamespace_with_ipsets\n");
    expect(diagLines(r).filter((l) => l.includes("unsupported"))).toEqual([
      "3: unsupported: 'lvs_netlink_monitor_rcv_bufs' is not implemented (keepalived's checker sizes its address monitor socket (it drives ha_suspend); ours has none: it polls the host's addresses); it has no effect",
      "5: unsupported: 'namespace_with_ipsets' is not implemented (there are no ipsets to make in a namespace (Debian's keepalived 2.2.7, built without ipsets, does nothing with it either)); it has no effect",
    ]);
    expect(r.exitCode).toBe(0);
  });
  test("json_version: 1 is the layout written, silently; 2 is reported at its line", () => {
    expect(diagLines(loadText("global_defs {\n json_version 1\n}\n"))).toEqual([]);
    expect(diagLines(loadText("global_defs {\n json_version 2\n}\n"))).toEqual([
      "2: unsupported: 'json_version 2' is not implemented (keepalived.json keeps keepalived 2.2.7's layout, version 1)",
    ]);
  });
  test("use_vmac on a static address is refused at its line, as keepalived 2.2.7 -t refuses it", () => {
    const r = loadText("static_ipaddress {\n 192.0.2.5/24 dev eth0 use_vmac\n}\n");
    expect(diagLines(r)).toEqual([
      "2: error: Unknown configuration entry 'use_vmac' for ip address - ignoring",
    ]);
    expect(r.exitCode).toBe(5);
  });
});
