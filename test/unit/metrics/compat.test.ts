/**
 * metrics_compat: the names, label sets, types and values of mehdy/keepalived-exporter and
 * gen2brain/keepalived_exporter for given instances, rendered and read back with the strict parser.
 */
import { describe, expect, test } from "bun:test";
import { type CompatInstanceView, compatSamples, vipText } from "../../../src/metrics/compat.ts";
import { renderExposition } from "../../../src/metrics/exposition.ts";
import { parseExposition, valueOf } from "../../support/metrics/prom-strict.ts";

const vip = (address: string, prefixLen: number, dev: string | null = null, family = "ipv4") => ({ address, prefixLen, dev, family });
const stats = {
  advertRcvd: 7,
  advertSent: 42,
  becomeMaster: 2,
  releaseMaster: 1,
  packetLenErr: 3,
  advertIntervalErr: 4,
  ipTtlErr: 5,
  invalidType: 6,
  addrListErr: 8,
  invalidAuthType: 9,
  authTypeMismatch: 10,
  authFailure: 11,
  pri0Rcvd: 12,
  pri0Sent: 13,
};
const vi1: CompatInstanceView = {
  cfg: {
    name: "VI_1",
    vrid: 51,
    garpMasterDelayMs: 5000,
    virtualIpaddresses: [vip("192.0.2.100", 24), vip("192.0.2.101", 32, "veth1")],
    virtualIpaddressesExcluded: [vip("198.51.100.5", 32)],
  },
  place: { ifname: "veth0" },
  state: "MASTER",
  stats,
};
const bare: CompatInstanceView = {
  ...vi1,
  cfg: { ...vi1.cfg, name: "VI_2", vrid: 52, virtualIpaddresses: [], virtualIpaddressesExcluded: [] },
  state: "BACKUP",
};

function families(modes: ("mehdy" | "gen2brain")[]) {
  return parseExposition(
    renderExposition([compatSamples(modes, [vi1, bare], [{ name: "chk", up: true, running: false }, { name: "bad", up: false, running: true }])]),
  );
}
const typeOf = (f: ReturnType<typeof families>, name: string) => f.find((x) => x.name === name)?.type;

describe("mehdy/keepalived-exporter names", () => {
  const f = families(["mehdy"]);
  test("keepalived_vrrp_state: one series per VIP with its device, keepalived's address spelling and state number", () => {
    expect(valueOf(f, "keepalived_vrrp_state", { iname: "VI_1", intf: "veth0", vrid: "51", ip_address: "192.0.2.100/24" })).toBe(2);
    expect(valueOf(f, "keepalived_vrrp_state", { iname: "VI_1", intf: "veth1", vrid: "51", ip_address: "192.0.2.101" })).toBe(2);
    expect(valueOf(f, "keepalived_vrrp_excluded_state", { iname: "VI_1", ip_address: "198.51.100.5" })).toBe(2);
    expect(valueOf(f, "keepalived_vrrp_state", { iname: "VI_2", intf: "veth0", vrid: "52", ip_address: "" })).toBe(1);
    expect(typeOf(f, "keepalived_vrrp_state")).toBe("gauge");
  });

  test("counters {iname,intf,vrid} from the instance stats, garp delay in seconds", () => {
    const l = { iname: "VI_1", intf: "veth0", vrid: "51" };
    const want: Record<string, number> = {
      advertisements_received: 7,
      advertisements_sent: 42,
      become_master: 2,
      release_master: 1,
      packet_length_errors: 3,
      advertisements_interval_errors: 4,
      ip_ttl_errors: 5,
      invalid_type_received: 6,
      address_list_errors: 8,
      authentication_invalid: 9,
      authentication_mismatch: 10,
      authentication_failure: 11,
      priority_zero_received: 12,
      priority_zero_sent: 13,
      gratuitous_arp_delay: 5,
    };
    for (const [k, v] of Object.entries(want)) {
      expect(valueOf(f, `keepalived_${k}_total`, l)).toBe(v);
      expect(typeOf(f, `keepalived_${k}_total`)).toBe("counter");
      const labels = Object.keys(f.find((x) => x.name === `keepalived_${k}_total`)!.samples[0]!.labels).sort();
      expect(labels).toEqual(["iname", "intf", "vrid"]);
    }
  });

  test("scripts: status 1 GOOD / 0 BAD, state 0 idle / 1 running", () => {
    expect(valueOf(f, "keepalived_script_status", { name: "chk" })).toBe(1);
    expect(valueOf(f, "keepalived_script_status", { name: "bad" })).toBe(0);
    expect(valueOf(f, "keepalived_script_state", { name: "chk" })).toBe(0);
    expect(valueOf(f, "keepalived_script_state", { name: "bad" })).toBe(1);
  });
});

describe("gen2brain/keepalived_exporter names", () => {
  const f = families(["gen2brain"]);
  test("counters without _total, {name,intf,vrid,state} with the state's name; ip_ttl_err is the TTL counter", () => {
    const l = { name: "VI_1", intf: "veth0", vrid: "51", state: "MASTER" };
    expect(valueOf(f, "keepalived_vrrp_advert_rcvd", l)).toBe(7);
    expect(valueOf(f, "keepalived_vrrp_advert_sent", l)).toBe(42);
    expect(valueOf(f, "keepalived_vrrp_ip_ttl_err", l)).toBe(5);
    expect(valueOf(f, "keepalived_vrrp_authtype_mismatch", l)).toBe(10);
    expect(valueOf(f, "keepalived_vrrp_pri_zero_sent", { name: "VI_2", state: "BACKUP" })).toBe(13);
    expect(typeOf(f, "keepalived_vrrp_advert_rcvd")).toBe("counter");
    expect(f.some((x) => x.name.startsWith("keepalived_script"))).toBe(false);
  });

  test("both modes together render one valid page", () => {
    const both = families(["mehdy", "gen2brain"]);
    expect(valueOf(both, "keepalived_vrrp_advert_sent", { name: "VI_1" })).toBe(42);
    expect(valueOf(both, "keepalived_advertisements_sent_total", { iname: "VI_1" })).toBe(42);
  });
});

describe("vipText", () => {
  test("the prefix only when it is not the full length, as keepalived's data dump prints it", () => {
    expect(vipText(vip("192.0.2.1", 24))).toBe("192.0.2.1/24");
    expect(vipText(vip("192.0.2.1", 32))).toBe("192.0.2.1");
    expect(vipText(vip("2001:db8::1", 128, null, "ipv6"))).toBe("2001:db8::1");
    expect(vipText(vip("2001:db8::1", 64, null, "ipv6"))).toBe("2001:db8::1/64");
  });
});
