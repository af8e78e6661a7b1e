/** interface_up_down_delays on the harness: a link change acts only after its delay; a flap within it changes nothing. */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = `interface_up_down_delays {
  eth0 2 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

describe("interface_up_down_delays", () => {
  test("down acts after down_delay, up after up_delay", () => {
    const h = new Harness();
    h.start(conf);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    h.kernel.setLink("eth0", false);
    h.sched.advance(1900);
    expect(h.states().VI_1).toBe("MASTER");
    h.sched.advance(200);
    expect(h.states().VI_1).toBe("FAULT");
    h.kernel.setLink("eth0", true);
    h.sched.advance(900);
    expect(h.states().VI_1).toBe("FAULT");
    h.sched.advance(200);
    expect(h.states().VI_1).toBe("BACKUP");
  });

  test("a flap shorter than the delay changes nothing", () => {
    const h = new Harness();
    h.start(conf);
    h.sched.advance(5000);
    h.kernel.setLink("eth0", false);
    h.sched.advance(1000);
    h.kernel.setLink("eth0", true);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
  });

  test("an interface without delays acts at once", () => {
    const h = new Harness();
    h.start(conf.replace("eth0 2 1", "eth1 2"));
    h.sched.advance(5000);
    h.kernel.setLink("eth0", false);
    expect(h.states().VI_1).toBe("FAULT");
  });
});
