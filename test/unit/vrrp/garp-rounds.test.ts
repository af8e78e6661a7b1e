/**
 * The announcement schedule (src/vrrp/garp-rounds.ts) on a fake clock: garp_master_repeat now, again
 * after garp_master_delay, then garp_master_refresh_repeat every garp_master_refresh; the lower-priority
 * rounds; a VIP with `dev` on its own interface; nothing once the instance is no longer MASTER or the rounds are cancelled.
 */
import { describe, expect, test } from "bun:test";
import { nullLogger, RateLimitedLog } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { GarpRounds } from "../../../src/vrrp/garp-rounds.ts";
import { loadText } from "../../support/config/helpers.ts";

function setup(extra: string) {
  const r = loadText(
    `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 100\n${extra}\n virtual_ipaddress {\n  192.0.2.100/24\n  192.0.2.101/24 dev eth1\n }\n}\n`,
    {},
    {},
    ["eth0", "eth1"],
  );
  const cfg = r.config.vrrp.instances[0]!;
  const sched = new FakeScheduler();
  const sent: string[] = [];
  const state = { master: true };
  const rounds = new GarpRounds(
    cfg,
    {
      sched,
      badPackets: new RateLimitedLog(nullLogger),
      announcer: {
        garp: (ifindex, mac, vip) => void sent.push(`garp ${ifindex} ${mac} ${vip}`),
        na: (ifindex, mac, vip) => void sent.push(`na ${ifindex} ${mac} ${vip}`),
      },
      ifindex: () => 9,
    },
    () => ({ ifindex: 2, mac: "02:00:00:00:00:01" }),
    () => state.master,
  );
  /** How many frames went out since the last call. */
  const take = () => sent.splice(0).length;
  return { sched, sent, state, rounds, take };
}

describe("GarpRounds", () => {
  test("master rounds: repeat now, again after the delay, then the refresh repeat every refresh", () => {
    const { sched, rounds, take, sent } = setup(
      " garp_master_delay 5\n garp_master_repeat 2\n garp_master_refresh 60\n garp_master_refresh_repeat 1",
    );
    rounds.becameMaster();
    expect(sent.slice(0, 2)).toEqual([
      "garp 2 02:00:00:00:00:01 192.0.2.100",
      "garp 9 02:00:00:00:00:01 192.0.2.101",
    ]);
    expect(take()).toBe(4); // 2 rounds x 2 addresses
    sched.advance(4999);
    expect(take()).toBe(0);
    sched.advance(1);
    expect(take()).toBe(4);
    sched.advance(60_000);
    expect(take()).toBe(2);
    sched.advance(60_000);
    expect(take()).toBe(2);
  });

  test("no delayed round once the instance is not MASTER, and none after cancel", () => {
    const { sched, rounds, take, state } = setup(" garp_master_delay 5\n garp_master_repeat 1");
    rounds.becameMaster();
    take();
    state.master = false;
    sched.advance(5000);
    expect(take()).toBe(0);
    state.master = true;
    rounds.becameMaster();
    take();
    rounds.cancel();
    sched.advance(10_000);
    expect(take()).toBe(0);
  });

  test("lower-priority rounds: repeat now and once after the delay, not re-armed while pending", () => {
    const { sched, rounds, take } = setup(" garp_lower_prio_delay 3\n garp_lower_prio_repeat 2");
    rounds.lowerPriority();
    expect(take()).toBe(4);
    rounds.lowerPriority(); // a second lower advert: its own round now, no second delayed one
    expect(take()).toBe(4);
    sched.advance(3000);
    expect(take()).toBe(4);
    sched.advance(10_000);
    expect(take()).toBe(0);
  });
});
