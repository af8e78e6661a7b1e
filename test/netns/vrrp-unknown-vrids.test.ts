/**
 * log_unknown_vrids beside keepalived 2.2.7 (namespaces kvru*): a router hears adverts of a VRID it has
 * no instance for (keepalived 2.2.7 MASTER of VRID 70 in the other namespace); with log_unknown_vrids
 * ours logs what keepalived logs for them, without it nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { KEEPALIVED, VrrpLab } from "../support/vrrp-lab.ts";

const lab = new VrrpLab("kvru");
afterAll(() => lab.destroy());

const instance = (vrid: number, state: string) =>
  `vrrp_instance VI_${vrid} {\n  state ${state}\n  interface veth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;
const listener = (log: boolean) => `global_defs {\n${log ? "  log_unknown_vrids\n" : ""}}\n${instance(61, "BACKUP")}`;
const line = (log: string) => /Unknown VRID\(70\) received on interface\(veth0\)\. ignoring\.\.\./.exec(log)?.[0];

describe("log_unknown_vrids beside keepalived 2.2.7", () => {
  test("the same line for each advert of an unknown VRID, and none without the keyword", async () => {
    const bin = await ensureBinary();
    lab.daemon(lab.b, KEEPALIVED, "sender", instance(70, "MASTER"));
    const theirs = lab.daemon(lab.a, KEEPALIVED, "theirs", listener(true));
    await waitFor("keepalived's line", () => line(theirs.log()), 30_000);
    theirs.proc.kill("SIGTERM");
    await theirs.proc.exited;
    const quiet = lab.daemon(lab.a, bin, "quiet", listener(false));
    await waitFor("ours running", () => /Entering BACKUP STATE/.test(quiet.log()), 30_000);
    await holdsFor("nothing logged without log_unknown_vrids", () => line(quiet.log()) === undefined, 3_000);
    quiet.proc.kill("SIGTERM");
    await quiet.proc.exited;
    const ours = lab.daemon(lab.a, bin, "ours", listener(true));
    await waitFor("our line", () => line(ours.log()), 30_000);
    expect(line(ours.log())).toBe(line(theirs.log())!);
  }, 120_000);
});
