/**
 * Socket faults (src/vrrp/socket-faults.ts, the runtime's use of it): an instance whose sockets cannot be
 * opened, that has no source address yet, or whose sends say the address is gone, is FAULT with the
 * reason in its data dump, reported to the parent, and retried on a timer and on address events until it
 * works; then it runs as usual. Passing send errors (ENOBUFS) change nothing.
 */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";
import { dataDump } from "../../../src/vrrp/dump.ts";
import { IFA_F } from "../../../src/proto/rtnl-addr.ts";

const sysErr = (code: string, msg: string) => Object.assign(new Error(msg), { code });
const inst = (extra = "", family = "") => `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
${extra}
  virtual_ipaddress {
    ${family === "6" ? "2001:db8::100/64" : "192.0.2.100/24"}
  }
}
`;
const states = (h: Harness) => h.parentMsgs.filter((m) => (m as { type: string }).type === "vrrpState").map((m) => (m as { state: string }).state);

describe("VRRP socket faults", () => {
  test("bind refused at start: FAULT with the reason, retried every second, then BACKUP and MASTER", () => {
    const h = new Harness();
    let refuse = 3;
    h.openError = () => (refuse-- > 0 ? sysErr("EADDRNOTAVAIL", "bind: EADDRNOTAVAIL (Cannot assign requested address)") : undefined);
    const cfg = h.start(inst());
    expect(h.states().VI_1).toBe("FAULT");
    expect(states(h)).toEqual(["FAULT"]);
    const r = h.rt.instances()[0]!;
    expect(r.socketFault).toContain("cannot open VRRP sockets on eth0: bind: EADDRNOTAVAIL");
    expect(dataDump(cfg, h.rt)).toContain("Socket fault = cannot open VRRP sockets on eth0");
    h.sched.advance(2500);
    expect(h.states().VI_1).toBe("FAULT");
    h.sched.advance(1000);
    expect(r.socketFault).toBeUndefined();
    expect(h.states().VI_1).toBe("BACKUP");
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.sent.length).toBeGreaterThan(0);
    expect(h.transports).toHaveLength(1);
  });

  test("IPv6 with no link-local address yet: FAULT; the address appearing (netlink) starts it at once", () => {
    const h = new Harness();
    h.kernel.addrs = h.kernel.addrs.filter((a) => a.family !== "ipv6");
    h.start(inst("", "6").replace("vrrp_instance VI_1 {", "vrrp_instance VI_1 {\n  native_ipv6"), ["eth0", "eth1"]);
    expect(h.states().VI_1).toBe("FAULT");
    expect(h.rt.instances()[0]!.socketFault).toContain("eth0 has no ipv6 address to send adverts from");
    const ll = { index: 2, family: "ipv6" as const, address: "fe80::1", prefixLen: 64, scope: 253, flags: IFA_F.TENTATIVE };
    h.kernel.addrs.push(ll);
    h.openError = () => sysErr("EADDRNOTAVAIL", "bind: EADDRNOTAVAIL");
    h.kernel.emit({ kind: "addr", op: "new", addr: ll }); // tentative: bind still refused
    h.sched.advance(0);
    expect(h.rt.instances()[0]!.socketFault).toContain("bind: EADDRNOTAVAIL");
    h.openError = undefined;
    h.kernel.emit({ kind: "addr", op: "new", addr: { ...ll, flags: 0 } }); // DAD done
    h.sched.advance(0);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.transports[0]!.o.src).toBe("fe80::1");
    expect(h.rt.instances()[0]!.place.src).toBe("fe80::1");
  });

  test("a send that says the address is gone: FAULT, sockets reopened when they work again", () => {
    const h = new Harness();
    h.start(inst());
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    h.sendError = () => sysErr("EADDRNOTAVAIL", "sendto: EADDRNOTAVAIL");
    h.openError = () => sysErr("EADDRNOTAVAIL", "bind: EADDRNOTAVAIL");
    h.sched.advance(1000);
    h.sched.advance(0);
    expect(h.states().VI_1).toBe("FAULT");
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.100");
    expect(h.rt.instances()[0]!.socketFault).toBe("cannot send adverts on eth0: sendto: EADDRNOTAVAIL");
    h.sched.advance(1000); // retried: the bind is refused now
    expect(h.rt.instances()[0]!.socketFault).toContain("bind: EADDRNOTAVAIL");
    h.sendError = h.openError = undefined;
    h.sched.advance(1000);
    expect(h.rt.instances()[0]!.socketFault).toBeUndefined();
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.transports.length).toBe(2);
  });

  test("a passing send error (ENOBUFS) is logged, not FAULT", () => {
    const h = new Harness();
    h.start(inst());
    h.sched.advance(4000);
    h.sendError = () => sysErr("ENOBUFS", "sendto: ENOBUFS");
    h.sched.advance(3000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.rt.instances()[0]!.socketFault).toBeUndefined();
  });
});
