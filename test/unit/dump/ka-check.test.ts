/**
 * The checker child's dump (src/dump/ka-check.ts) from a configuration, as it stands when the checkers
 * start (the `-d` text): blocks checked against what keepalived 2.2.7 printed for the same blocks in the
 * VM (test/vm/tests/41-checker-dump.sh compares whole files).
 */
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import type { KeepalivedConfig } from "../../../src/config/model.ts";
import { checkDumpLines } from "../../../src/dump/ka-check.ts";
import { initialLive } from "../../../src/dump/ka-check-live.ts";

const load = (text: string): KeepalivedConfig => loadConfig("/k.conf", { configId: "x", readFile: () => text, interfaceExists: () => true }).config;

const CONF = `global_defs {
  router_id ckd
}
virtual_server_group G {
  192.0.2.30 80
  192.0.2.31-33 8080
  fwmark 7
}
virtual_server group G {
  delay_loop 3
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  quorum 2
  hysteresis 1
  alpha
  sorry_server 127.0.0.9 80
  real_server 127.0.0.2 8080 {
    weight 2
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 2
      retry 0
    }
  }
  real_server 127.0.0.3 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
      retry 0
    }
  }
}
virtual_server 192.0.2.41 53 {
  delay_loop 4
  lb_algo sh
  lb_kind TUN
  protocol UDP
  ops
  real_server 127.0.0.6 53 {
    DNS_CHECK {
      type A
      name example.org
      connect_timeout 1
      retry 0
    }
  }
}
`;

/** The lines from `first` on, `n` of them. */
function block(lines: string[], first: string, n: number): string[] {
  const i = lines.indexOf(first);
  expect(i).toBeGreaterThanOrEqual(0);
  return lines.slice(i, i + n);
}

describe("checker dump in keepalived 2.2.7's layout", () => {
  const c = load(CONF);
  const lines = checkDumpLines(c, initialLive(c));

  test("a group with an address, a range and a fwmark: destinations in IPVS per entry", () => {
    // alpha: both real servers start down, quorum is down; the inhibited one and the sorry server are in IPVS.
    expect(block(lines, " ------< Virtual server group >------", 11)).toEqual([
      " ------< Virtual server group >------",
      " Virtual Server Group = G, IPv4 = yes, IPv6 = no",
      "   VIP = 192.0.2.30, VPORT = 80",
      "     Alive: 2 tcp, 0 udp, 0 sctp",
      "     reloaded = False",
      "   VIP Range = 192.0.2.31-192.0.2.33, VPORT = 8080",
      "     Alive: 2 tcp, 0 udp, 0 sctp",
      "     reloaded = False",
      "   FWMARK = 7",
      "     Alive: 2 IPv4, 0 IPv6",
      "     reloaded = False",
    ]);
  });

  test("a virtual server of a group, its sorry server and a real server", () => {
    expect(block(lines, " VS GROUP = [G]:0", 40)).toEqual([
      " VS GROUP = [G]:0",
      "   Address family = inet",
      "   connection timeout = 5.000000",
      "   delay_loop = 3.000000",
      "   lvs_sched = wrr",
      "   Hashed = disabled",
      "   flag-1 = disabled",
      "   flag-2 = disabled",
      "   flag-3 = disabled",
      "   One packet scheduling = disabled",
      "   protocol = TCP",
      "   alpha is ON",
      "   omega is OFF",
      "   Inhibit on failure is OFF",
      "   quorum = 2, hysteresis = 1",
      "   Using smtp notification = no",
      "   default forwarding method = NAT",
      "   sorry server = [127.0.0.9]:tcp:80",
      "     forwarding method = NAT",
      "     Inhibit on failure is OFF",
      "   alive = 1",
      "   quorum_state_up = 0",
      "   reloaded = 0",
      "   ------< Real server >------",
      "   RIP = 127.0.0.2, RPORT = 8080, WEIGHT = 2 EFF WEIGHT = 2",
      "   forwarding method = NAT",
      "   Alpha is ON",
      "   connection timeout = 5.000000",
      "   connection limit range = 0 -> 0",
      "   Delay loop = 3.000000",
      "   Inhibit on failure is ON",
      "   Using smtp notification = yes",
      "   initial weight = 2",
      "   effective weight = 2",
      "   previous effective_weight = 0",
      "   alive = 0",
      "   num failed checkers = 1",
      "   RS set = 1",
      "   reloaded = 0",
      "   ------< Real server >------",
    ]);
  });

  test("sh scheduler flags, one-packet scheduling, TUN", () => {
    const vs = block(lines, " VS VIP = 192.0.2.41, VPORT = 53", 17);
    expect(vs).toContain("   sh-port = disabled");
    expect(vs).toContain("   sh-fallback = disabled");
    expect(vs).toContain("   One packet scheduling = enabled");
    expect(vs).toContain("   default forwarding method = TUN, type = IPIP");
  });

  test("health checkers: timings in µs, the connection, the type's fields", () => {
    expect(block(lines, " [192.0.2.41]:udp:53 -> [127.0.0.6]:udp:53", 17)).toEqual([
      " [192.0.2.41]:udp:53 -> [127.0.0.6]:udp:53",
      "   Enabled = yes",
      "   Up = yes",
      "   Has run = no",
      "   Current weight = 0",
      "   Alpha = no",
      "   Delay loop = 4000000 us",
      "   Warmup = 4000000 us",
      "   Retries = 0",
      "   Default delay before retry = 0 us",
      "   Log all failures = no",
      "   Connection",
      "     Dest = [127.0.0.6]:53",
      "     Timeout = 1.000000",
      "   Keepalive method = DNS_CHECK",
      "   Type = A",
      "   Name = example.org",
    ]);
    expect(lines[lines.indexOf(" [G]:0 -> [127.0.0.2]:tcp:8080") + 2]).toBe("   Up = no");
  });
});
