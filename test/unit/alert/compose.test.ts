/** src/alert/compose.ts, names.ts and policy.ts: keepalived's subject lines and smtp_alert defaults. */
import { describe, expect, test } from "bun:test";
import { composeAlert, wrap } from "../../../src/alert/compose.ts";
import { rsName, vsName } from "../../../src/alert/names.ts";
import { AlertPolicy } from "../../../src/alert/policy.ts";
import { loadText } from "../../support/config/helpers.ts";

const AT = new Date("2026-01-02T03:04:05.000Z");

describe("subjects", () => {
  test("VRRP instance, group, real server and virtual server", () => {
    const v = composeAlert("r1", {
      kind: "vrrp",
      instance: "VI_1",
      state: "MASTER",
      previous: "BACKUP",
      priority: 150,
      effectivePriority: 140,
    }, AT);
    expect(v.subject).toBe("[r1] VRRP Instance VI_1 - Entering MASTER state");
    expect(v.text).toContain("VRRP instance: VI_1");
    expect(v.text).toContain("BACKUP -> MASTER");
    expect(v.text).toContain("150 (effective 140)");
    expect(v.text).toContain("2026-01-02T03:04:05.000Z");
    expect(composeAlert("r1", { kind: "vrrpGroup", group: "G", state: "FAULT", previous: null }, AT).subject)
      .toBe("[r1] VRRP Group G - Entering FAULT state");
    const rs = composeAlert("r1", {
      kind: "rs",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:8080",
      state: "DOWN",
      weight: 0,
    }, AT);
    expect(rs.subject).toBe("[r1] Realserver [198.51.100.5]:8080 of virtual server [192.0.2.10]:80 - DOWN");
    expect(rs.text).toContain("Weight:");
    expect(composeAlert("r1", { kind: "vs", vs: "[192.0.2.10]:80", state: "UP" }, AT).subject)
      .toBe("[r1] Virtualserver [192.0.2.10]:80 - UP");
  });

  test("body lines stay within 72 columns (7bit mail, no quoted-printable)", () => {
    const rs = composeAlert("r1", {
      kind: "rs",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:8080",
      state: "DOWN",
      weight: 0,
    }, AT);
    for (const l of rs.text.split("\n")) expect(l.length).toBeLessThanOrEqual(72);
    expect(wrap("aaa bbb ccc", 7)).toBe("aaa bbb\nccc");
  });

  test("display names", () => {
    const base = { address: null, port: null, fwmark: null, group: null };
    expect(vsName({ ...base, kind: "address", address: "2001:db8::1", port: 443 })).toBe("[2001:db8::1]:443");
    expect(vsName({ ...base, kind: "fwmark", fwmark: 5 })).toBe("FWM 5");
    expect(vsName({ ...base, kind: "group", group: "web" })).toBe("group web");
    expect(rsName({ port: 80 }, { address: "192.0.2.7", port: null })).toBe("[192.0.2.7]:80");
  });
});

const MAIL = `global_defs {
  router_id rid
  notification_email {
    ops@example.org
  }
  smtp_server 127.0.0.1 20025
  GLOBALS
}
vrrp_sync_group G {
  group {
    VI_1
  }
  GROUP
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 1
  INSTANCE
  virtual_ipaddress {
    192.0.2.1/24
  }
}
virtual_server 192.0.2.10 80 {
  VS
  real_server 198.51.100.5 80 {
    RS
    TCP_CHECK {
    }
  }
}
`;

function policy(parts: Partial<Record<"GLOBALS" | "GROUP" | "INSTANCE" | "VS" | "RS", string>>): AlertPolicy {
  let t = MAIL;
  for (const k of ["GLOBALS", "GROUP", "INSTANCE", "VS", "RS"] as const) t = t.replace(k, parts[k] ?? "");
  return new AlertPolicy(loadText(t).config);
}
const vrrp = (state: "MASTER" | "FAULT" | "INIT" = "MASTER") =>
  ({ kind: "vrrp", instance: "VI_1", state, previous: null, priority: 100, effectivePriority: 100 }) as const;
const rs = { kind: "rs", vs: "[192.0.2.10]:80", rs: "[198.51.100.5]:80", state: "DOWN", weight: 0 } as const;
const vs = { kind: "vs", vs: "[192.0.2.10]:80", state: "DOWN" } as const;
const group = { kind: "vrrpGroup", group: "G", state: "MASTER", previous: null } as const;

describe("smtp_alert policy", () => {
  test("defaults: VRRP and virtual servers off, real servers on", () => {
    const p = policy({});
    expect(p.routerId).toBe("rid");
    expect([p.wants(vrrp()), p.wants(group), p.wants(vs), p.wants(rs)]).toEqual([false, false, false, true]);
  });
  test("global smtp_alert, then the specific globals, then the object's own setting win in turn", () => {
    expect(policy({ GLOBALS: "smtp_alert" }).wants(vrrp())).toBe(true);
    expect(policy({ GLOBALS: "smtp_alert\n smtp_alert_vrrp no" }).wants(vrrp())).toBe(false);
    expect(policy({ GLOBALS: "smtp_alert_vrrp no", INSTANCE: "smtp_alert" }).wants(vrrp())).toBe(true);
    expect(policy({ GROUP: "smtp_alert" }).wants(group)).toBe(true);
    expect(policy({ GLOBALS: "smtp_alert_checker no" }).wants(rs)).toBe(false);
    expect(policy({ GLOBALS: "smtp_alert_checker no", RS: "smtp_alert yes" }).wants(rs)).toBe(true);
    expect(policy({ VS: "smtp_alert" }).wants(vs)).toBe(true);
  });
  test("no_email_faults, no_checker_emails, unmailed states, and no mail without server or recipients", () => {
    const p = policy({ GLOBALS: "smtp_alert\n no_email_faults\n no_checker_emails" });
    expect([p.wants(vrrp("MASTER")), p.wants(vrrp("FAULT")), p.wants(vrrp("INIT")), p.wants(rs), p.wants(vs)])
      .toEqual([true, false, false, false, true]);
    const none = new AlertPolicy(loadText(`global_defs {\n smtp_alert\n smtp_server 127.0.0.1\n}\n`).config);
    expect(none.configured).toBe(false);
    expect(none.wants(vrrp())).toBe(false);
  });
  test("sync group membership is known", () => {
    expect(policy({}).groupOf("VI_1")).toBe("G");
    expect(policy({}).groupOf("VI_2")).toBeUndefined();
  });
});
