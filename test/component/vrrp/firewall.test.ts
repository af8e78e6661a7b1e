/**
 * The no_accept firewall through the VRRP runtime, against an in-memory nf_tables (fake-nft.ts): the
 * table appears with the first MASTER without accept mode, addresses follow MASTER/BACKUP, an owner and
 * an accept instance add nothing, a restarted child adopts the table it finds (no moment without the
 * drop), a failed transaction is logged and leaves the state as it was, and stop removes the table.
 */
import { describe, expect, test } from "bun:test";
import { Logger, nullLogger } from "../../../src/core/log.ts";
import { NftFirewall } from "../../../src/vrrp/firewall.ts";
import { Harness } from "../../support/vrrp/harness.ts";
import { FakeNft } from "../../support/vrrp/fake-nft.ts";

const V4 = 2, V6 = 10;
const hex4 = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const inst = (name: string, vrid: number, body: string, vips: string[], extra = "") => `
vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
${body}
  virtual_ipaddress {
${vips.map((v) => `    ${v}`).join("\n")}
  }
${extra}
}
`;

describe("no_accept firewall", () => {
  test("vrrp_strict: table on first MASTER, VIPs and excluded addresses in the set, gone from the set on BACKUP, table removed on stop", async () => {
    const h = new Harness();
    h.start(
      `global_defs { vrrp_strict }\n` + inst("VI_1", 51, "", ["192.0.2.100/24", "192.0.2.102/32"], "  virtual_ipaddress_excluded {\n    192.0.2.103\n  }"),
    );
    expect(h.nft.tables.size).toBe(0);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.nft.keys(V4, "keepalived")).toEqual(["192.0.2.100", "192.0.2.102", "192.0.2.103"].map(hex4).sort());
    expect(h.nft.tables.has(`${V6}/keepalived`)).toBe(false);
    h.advert("eth0", 51, 200, "192.0.2.9", ["192.0.2.100", "192.0.2.102"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.nft.keys(V4, "keepalived")).toEqual([]);
    await h.rt.stop();
    expect(h.nft.tables.size).toBe(0);
  });

  test("accept instance and address owner add nothing; a no_accept one with a custom table name does", () => {
    const h = new Harness();
    const owner = inst("VI_O", 53, "  no_accept", ["192.0.2.120"]).replace("priority 100", "priority 255").replace("state BACKUP", "state MASTER");
    h.start(
      `global_defs { nftables mine\n nftables_priority -5 }\n` + inst("VI_A", 51, "  accept", ["192.0.2.100"]) +
        inst("VI_N", 52, "  no_accept", ["192.0.2.110"]) + owner,
    );
    h.sched.advance(5000);
    expect(h.states()).toEqual({ VI_A: "MASTER", VI_N: "MASTER", VI_O: "MASTER" });
    expect(h.nft.keys(V4, "mine")).toEqual([hex4("192.0.2.110")]);
    expect(h.nft.tables.has(`${V4}/keepalived`)).toBe(false);
  });

  test("IPv6: global VIP in vips, link-local keyed with its interface index", () => {
    const h = new Harness();
    h.start(inst("VI_6", 61, "  no_accept", ["fe80::100/64", "2001:db8::100/64"]));
    h.sched.advance(5000);
    expect(h.states().VI_6).toBe("MASTER");
    expect(h.nft.keys(V6, "keepalived")).toEqual(["20010db8000000000000000000000100"]);
    const idx = h.kernel.links.find((l) => l.name === "eth0")!.index;
    const ll = Buffer.alloc(20);
    Buffer.from("fe800000000000000000000000000100", "hex").copy(ll);
    ll.writeUInt32LE(idx, 16);
    expect(h.nft.keys(V6, "keepalived", "vips_link_local")).toEqual([ll.toString("hex")]);
  });

  test("a restarted child adopts the table: the blocked address stays until the instance's init releases it", () => {
    const nft = new FakeNft();
    const fw1 = new NftFirewall(nullLogger, () => nft);
    fw1.configure({ table: "keepalived", priority: -1, counters: false });
    fw1.block("VI_1", [{ family: "ipv4", address: "192.0.2.100" }, { family: "ipv4", address: "192.0.2.101" }]);
    // kill -9: nothing is removed. The next child adopts in one transaction that keeps the elements.
    const fw2 = new NftFirewall(nullLogger, () => nft);
    fw2.configure({ table: "keepalived", priority: -1, counters: true });
    expect(nft.keys(V4, "keepalived")).toEqual([hex4("192.0.2.100"), hex4("192.0.2.101")]);
    expect(nft.batches.at(-1)![0]).toBe(0); // NEWTABLE, DELTABLE, then the rebuilt table, all in one batch
    expect(nft.batches.at(-1)![1]).toBe(2);
    fw2.block("VI_1", [{ family: "ipv4", address: "192.0.2.100" }]);
    fw2.settle();
    expect(nft.keys(V4, "keepalived")).toEqual([hex4("192.0.2.100")]);
    fw2.unblock("VI_1", [{ family: "ipv4", address: "192.0.2.100" }]);
    expect(nft.keys(V4, "keepalived")).toEqual([]);
    fw2.stop();
    expect(nft.tables.size).toBe(0);
  });

  test("a failed transaction is logged and changes nothing; the next one retries", () => {
    const nft = new FakeNft();
    const errors: string[] = [];
    class Capture extends Logger {
      override error(m: string): void {
        errors.push(m);
      }
    }
    const fw = new NftFirewall(new Capture({ ident: "t", console: false, syslog: false, facility: 3, detail: false }), () => nft);
    fw.configure({ table: "keepalived", priority: -1, counters: false });
    nft.failNext = 1; // EPERM
    fw.block("VI_1", [{ family: "ipv4", address: "192.0.2.100" }]);
    expect(errors[0]).toContain("nftables: cannot block VI_1's addresses");
    expect(nft.tables.size).toBe(0);
    fw.block("VI_1", [{ family: "ipv4", address: "192.0.2.100" }]);
    expect(nft.keys(V4, "keepalived")).toEqual([hex4("192.0.2.100")]);
  });

  test("two instances sharing an address: it stays blocked until both release it", () => {
    const nft = new FakeNft();
    const fw = new NftFirewall(nullLogger, () => nft);
    fw.configure({ table: "keepalived", priority: -1, counters: false });
    const k = [{ family: "ipv4" as const, address: "192.0.2.100" }];
    fw.block("A", k);
    fw.block("B", k);
    fw.unblock("A", k);
    expect(nft.keys(V4, "keepalived")).toEqual([hex4("192.0.2.100")]);
    fw.unblock("B", k);
    expect(nft.keys(V4, "keepalived")).toEqual([]);
  });
});
