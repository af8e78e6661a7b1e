/** Tests for src/procs/reload-gate.ts: which classes of diagnostic refuse a reload (all or nothing). */
import { describe, expect, test } from "bun:test";
import { acceptedErrors, reloadRefusal } from "../../../src/procs/reload-gate.ts";
import { loadText } from "../../support/config/helpers.ts";

const VI = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/24\n  }\n}\n`;
const refusal = (text: string, more = {}, allConfig = false) => reloadRefusal(loadText(text, more, { allConfig }));

describe("reload gate", () => {
  test("a clean file, a warning, a skipped include (no -e) and a section-less file are applied", () => {
    expect(refusal(VI)).toBeUndefined();
    expect(refusal(VI.replace("priority 100", "priority 100\n  preempt_delay 5\n  state MASTER"))).toBeUndefined();
    expect(refusal(`include /etc/keepalived/none.conf\n${VI}`)).toBeUndefined();
    expect(refusal(`global_defs {\n  router_id only\n}\n`)).toBeUndefined();
    // Scripts that would run as root without enable_script_security still run (keepalived: -t exits 6).
    const script = `vrrp_script chk {\n  script /bin/true\n}\n${VI.replace("priority 100", "priority 100\n  track_script {\n    chk\n  }")}`;
    const r = loadText(script, {}, { isExecutable: () => true, userExists: (n) => n === "root" });
    expect(r.diagnostics.map((d) => d.severity)).toContain("security");
    expect(reloadRefusal(r)).toBeUndefined();
  });

  test("syntax errors, unknown keywords, unknown interfaces and bad VRIDs refuse the whole reload", () => {
    const cases = [
      `vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 53\n${VI}`,
      VI.replace("priority 100", "priority 100\n  no_such_keyword 1"),
      VI.replace("priority 100", "priority abc"),
      VI.replace("interface eth0", "interface nosuch0"),
      VI.replace("virtual_router_id 51", "virtual_router_id 300"),
      VI + VI.replace("VI_1", "VI_2"),
    ];
    for (const c of cases) expect(refusal(c)).toMatch(/keepalived\.conf:\d+: (error|fatal): /);
  });

  test("an empty or comment-only file is refused; under -e a missing include is too", () => {
    expect(refusal("")).toMatch(/no configuration at all/);
    expect(refusal("# nothing\n! here\n\n")).toMatch(/no configuration at all/);
    expect(refusal(`include /etc/keepalived/none.conf\n${VI}`, {}, true)).toMatch(/missing: configuration file '\/etc\/keepalived\/none.conf' is missing/);
  });

  test("an error the running configuration was accepted with does not refuse; a new one does", () => {
    const running = loadText(`# started with this\n${VI.replace("priority 100", "priority 100\n  old_keyword 1")}`);
    const accepted = acceptedErrors(running.diagnostics);
    const same = loadText(VI.replace("priority 100", "priority 90\n  old_keyword 1"));
    expect(reloadRefusal(same, accepted)).toBeUndefined();
    const worse = loadText(VI.replace("priority 100", "priority 90\n  old_keyword 1\n  new_keyword 2"));
    expect(reloadRefusal(worse, accepted)).toMatch(/unknown keyword 'new_keyword' ignored$/);
  });

  test("the reason names the first problem and counts the others", () => {
    expect(refusal(VI.replace("priority 100", "a 1\n  b 2\n  c 3"))).toMatch(/unknown keyword 'a' ignored \(and 2 more\)$/);
  });
});
