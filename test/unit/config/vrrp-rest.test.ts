/**
 * Parsing of the VRRP keywords of issue 15's VRRP slice (vrrp_min_garp, entry options, VMAC naming,
 * BFD routing, linkbeat types...): what each puts in the model, as keepalived 2.2.7 reads it.
 */
import { describe, expect, test } from "bun:test";
import { diagLines, instance, loadText } from "../../support/config/helpers.ts";

const first = (text: string) => loadText(text + instance("")).config.vrrp.instances[0]!;

describe("vrrp_min_garp", () => {
  test("one GARP round, no second round, no refresh repeat; instance values follow", () => {
    const r = loadText(`global_defs {\n vrrp_min_garp\n}\n${instance("")}`);
    expect(diagLines(r)).toEqual([]);
    expect(r.config.global).toMatchObject({ vrrpGarpMasterRepeat: 1, vrrpGarpMasterDelayMs: 0, vrrpGarpMasterRefreshRepeat: 0, vrrpGarpMasterRefreshMs: 0 });
    expect(r.config.vrrp.instances[0]!).toMatchObject({ garpMasterRepeat: 1, garpMasterDelayMs: 0, garpLowerPrioRepeat: 1, garpLowerPrioDelayMs: 0 });
  });
  test("false changes nothing", () => {
    expect(first("global_defs {\n vrrp_min_garp false\n}\n")).toMatchObject({ garpMasterRepeat: 5, garpMasterDelayMs: 5000 });
  });
  test("acts in file order: a value set before it and not the default stays, one set after wins", () => {
    const g = loadText("global_defs {\n vrrp_garp_master_repeat 3\n vrrp_min_garp\n vrrp_garp_master_delay 2\n}\n").config.global;
    expect(g).toMatchObject({ vrrpGarpMasterRepeat: 3, vrrpGarpMasterDelayMs: 2000, vrrpGarpMasterRefreshRepeat: 0 });
  });
  test("an instance's own garp_master_repeat is kept", () => {
    expect(loadText(`global_defs {\n vrrp_min_garp\n}\n${instance(" garp_master_repeat 4")}`).config.vrrp.instances[0]!.garpMasterRepeat).toBe(4);
  });
});
