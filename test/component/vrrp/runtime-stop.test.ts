/**
 * VrrpRuntime.stop(): notify_stop runs and is waited for before the child lets go of its sockets, but
 * no longer than the bound (stopScriptsWaitMs; the harness sets 200 ms): a script still running then is
 * logged and sent SIGTERM (keepalived 2.2.7's VRRP process exits ~1 s after TERM and a 2 s notify_stop
 * never finishes).
 */
import { describe, expect, test } from "bun:test";
import { Logger, nullLogger } from "../../../src/core/log.ts";
import { VrrpFifos } from "../../../src/vrrp/notify-fifos.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = `
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  notify_stop "/bin/stop-script VI_1"
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

class Capture extends Logger {
  readonly warnings: string[] = [];
  constructor() {
    super({ ident: "t", console: false, syslog: false, facility: 3, detail: false });
  }
  override warn(m: string): void {
    this.warnings.push(m);
  }
}

const master = (h: Harness) => {
  h.start(conf);
  h.sched.advance(5000);
  expect(h.states().VI_1).toBe("MASTER");
};

describe("VrrpRuntime.stop and notify scripts", () => {
  test("stop() resolves only after notify_stop has ended", async () => {
    const h = new Harness();
    master(h);
    let release!: () => void;
    let ended = false;
    h.scriptGate = new Promise<void>((res) => (release = res)).then(() => (ended = true));
    const stopped = h.rt.stop();
    expect(h.scripts).toContainEqual(["/bin/stop-script", "VI_1"]);
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setImmediate(r)); // every settled promise has run its callbacks
    expect(done).toBe(false); // still waiting for the script
    release();
    await stopped;
    expect(ended).toBe(true);
  });

  test("a notify_stop that never ends holds stop() only for the bound, with a warning", async () => {
    const log = new Capture();
    const h = new Harness(log);
    master(h);
    h.scriptGate = new Promise(() => {});
    await h.rt.stop();
    expect(h.scripts).toContainEqual(["/bin/stop-script", "VI_1"]);
    expect(log.warnings.some((w) => w.includes("notify scripts still running after 200 ms"))).toBe(true);
  });
});

describe("VrrpFifos.settle", () => {
  test("a real script that outlives the bound gets SIGTERM; one that ends in time is simply waited for", async () => {
    const fifos = new VrrpFifos(nullLogger);
    const [uid, gid] = [process.getuid!(), process.getgid!()];
    const quick = fifos.exec(["/bin/true"], uid, gid);
    expect(await fifos.settle(5000)).toBe(true);
    expect((await quick).status).toBe(0);
    let started!: () => void;
    const spawned = new Promise<void>((res) => (started = res));
    const slow = fifos.exec(["/bin/sleep", "30"], uid, gid, () => started());
    await spawned; // it has a pid; now give it less time than it needs
    expect(await fifos.settle(100)).toBe(false);
    expect((await slow).signal).toBe("SIGTERM");
  });
});
