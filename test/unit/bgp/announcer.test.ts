/** src/bgp/announcer.ts against a fake BgpNet: messages and child exits drive the addresses on our devices. */
import { describe, expect, test } from "bun:test";
import { BgpAnnouncer } from "../../../src/bgp/announcer.ts";
import type { BgpNet } from "../../../src/bgp/devices.ts";
import type { BgpPrefix, KeepalivedConfig } from "../../../src/config/model.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { loadText } from "../../support/config/helpers.ts";

class FakeNet implements BgpNet {
  readonly ops: string[] = [];
  failOpen = false;
  openDevice(name: string): number {
    if (this.failOpen) throw new Error("open /dev/net/tun: ENOENT");
    this.ops.push(`open ${name}`);
    return name.length;
  }
  closeDevice(name: string): void {
    this.ops.push(`close ${name}`);
  }
  putAddr(index: number, p: BgpPrefix, metric: number, replace: boolean): void {
    this.ops.push(`${replace ? "change" : "add"} ${index} ${p.address}/${p.prefixLen} ${metric}`);
  }
  delAddr(index: number, p: BgpPrefix): void {
    this.ops.push(`del ${index} ${p.address}/${p.prefixLen}`);
  }
  close(): void {
    this.ops.push("close all");
  }
}

function config(bgp: string): KeepalivedConfig {
  return loadText(`
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    192.0.2.10/32
  }
}
virtual_server 198.51.100.1 80 {
  real_server 10.0.0.1 80 {
  }
}
${bgp}`).config;
}
const TWO = `bgp_announce WEB {
  follow_instance VI_1
  announce_backup
}
bgp_announce VS {
  follow_virtual_server 198.51.100.1 80
  interface ka-vs
}`;

describe("BgpAnnouncer", () => {
  test("opens the devices, follows the states, withdraws what a dead child reported", () => {
    const net = new FakeNet();
    const a = new BgpAnnouncer(net, nullLogger, config(TWO));
    expect(net.ops.splice(0)).toEqual(["open ka-bgp", "open ka-vs"]);
    a.onMessage({ type: "vrrpState", instance: "VI_1", state: "BACKUP", priority: 100, effectivePriority: 100 });
    expect(net.ops.splice(0)).toEqual(["add 6 192.0.2.10/32 156"]);
    a.onMessage({ type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100, effectivePriority: 100 });
    expect(net.ops.splice(0)).toEqual(["change 6 192.0.2.10/32 0"]);
    a.onMessage({ type: "vsState", vs: "[198.51.100.1]:80", state: "UP", initial: true });
    expect(net.ops.splice(0)).toEqual(["add 5 198.51.100.1/32 0"]);
    a.childExited("check");
    expect(net.ops.splice(0)).toEqual(["del 5 198.51.100.1/32"]);
    a.childExited("bfd");
    a.onMessage({ type: "rsState", vs: "x", rs: "y", state: "UP", weight: 1 });
    expect(net.ops).toEqual([]);
    a.childExited("vrrp");
    expect(net.ops.splice(0)).toEqual(["del 6 192.0.2.10/32"]);
    expect(a.states()).toEqual(new Map([["WEB", "off"], ["VS", "off"]]));
  });

  test("a reload that drops an announcement closes its device; close() withdraws everything", () => {
    const net = new FakeNet();
    const a = new BgpAnnouncer(net, nullLogger, config(TWO));
    a.onMessage({ type: "vsState", vs: "[198.51.100.1]:80", state: "UP" });
    net.ops.length = 0;
    a.setConfig(config(`bgp_announce WEB {\n  follow_instance VI_1\n}`));
    expect(net.ops.splice(0)).toEqual(["del 5 198.51.100.1/32", "close ka-vs"]);
    a.close();
    a.onMessage({ type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100, effectivePriority: 100 });
    expect(net.ops).toEqual(["close all"]);
  });

  test("a device that cannot be created is logged and retried on the next event", () => {
    const net = new FakeNet();
    net.failOpen = true;
    const a = new BgpAnnouncer(net, nullLogger, config(TWO));
    a.onMessage({ type: "vsState", vs: "[198.51.100.1]:80", state: "UP" });
    expect(net.ops).toEqual([]);
    net.failOpen = false;
    a.onMessage({ type: "vsState", vs: "[198.51.100.1]:80", state: "UP" });
    expect(net.ops).toEqual(["open ka-bgp", "open ka-vs", "add 5 198.51.100.1/32 0"]);
  });
});
