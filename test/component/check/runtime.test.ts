/**
 * The check child's runtime as a component: a real configuration, a FakeScheduler, a real reactor
 * (inotify for FILE_CHECK), a loopback TCP server, bfdState events, and a recording LVS sink.
 * Covers RS DOWN/UP, quorum loss with the sorry server, FIFO lines, FILE_CHECK weights,
 * BFD_CHECK, reload keeping unchanged real servers, the USR1 dump and stop.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RecordingLvs } from "../../../src/check/lvs.ts";
import { CheckRuntime } from "../../../src/check/runtime.ts";
import { loadConfig, sliceFor } from "../../../src/config/index.ts";
import type { CheckSlice } from "../../../src/config/slice.ts";
import { Logger, type Severity } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { Reactor } from "../../../src/ffi/reactor.ts";
import { tempDir } from "../../support/check/servers.ts";

class CapLog extends Logger {
  lines: string[] = [];
  constructor() {
    super({ ident: "t", console: false, syslog: false, facility: 3, detail: true });
  }
  override log(_sev: Severity, msg: string): void {
    this.lines.push(msg);
  }
}

const dir = tempDir("kcr-rt");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conf(port: number, extraRs = "", top = ""): CheckSlice {
  const text = `${top}
global_defs {
  router_id t
  lvs_notify_fifo ${dir}/fifo
}
bfd_instance b1 {
  neighbor_ip 127.0.0.2
}
track_file tf {
  file ${dir}/val
  weight 2
}
virtual_server 203.0.113.10 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 2
  quorum 2
  quorum_up /bin/true
  quorum_down /bin/true
  sorry_server 198.51.100.9 80
  real_server 127.0.0.1 ${port} {
    weight 1
    notify_down /bin/true
    notify_up /bin/true
    TCP_CHECK {
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server 127.0.0.2 ${port} {
    BFD_CHECK {
      name b1
    }
  }
${extraRs}
}
virtual_server fwmark 5 {
  lb_algo rr
  lb_kind DR
  real_server 192.0.2.5 0 {
    weight 3
    FILE_CHECK {
      track_file tf
    }
  }
}
`;
  const f = join(dir, "k.conf");
  writeFileSync(f, text);
  const r = loadConfig(f, { configId: "t" });
  if (r.exitCode === 4) throw new Error(JSON.stringify(r.diagnostics));
  return sliceFor(r.config, "check");
}

/** Reads what is queued in a FIFO without blocking. */
function drainFifo(fd: number): string[] {
  const b = Buffer.alloc(65536);
  let out = "";
  for (;;) {
    let n = 0;
    try {
      n = readSync(fd, b);
    } catch {
      break;
    }
    if (n <= 0) break;
    out += b.subarray(0, n).toString();
  }
  return out.split("\n").filter((l) => l !== "");
}

async function until(what: string, s: FakeScheduler, f: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (f()) return;
    s.advance(50);
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("CheckRuntime", () => {
  test("checkers drive RS state, quorum, sorry server, FIFO-style notifications and the table", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "val"), "1\n");
    let server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    const log = new CapLog();
    const sched = new FakeScheduler();
    const reactor = new Reactor();
    const lvs = new RecordingLvs();
    const scripts: string[] = [];
    const sent: string[] = [];
    const rt = new CheckRuntime({
      log,
      sched,
      watcher: reactor,
      lvs,
      keepIpvsOnStop: false,
      dumpPath: join(dir, "check.data"),
      runNotify: (_s, why) => scripts.push(why),
      send: (m) =>
        sent.push(
          m.type === "rsState"
            ? `rs ${m.vs} ${m.rs} ${m.state} ${m.weight}`
            : m.type === "vsState"
            ? `vs ${m.vs} ${m.state}${m.initial ? " initial" : ""}`
            : m.type,
        ),
    });
    const c = conf(port);
    rt.apply(c, false);
    const fifoFd = openSync(join(dir, "fifo"), constants.O_RDONLY | constants.O_NONBLOCK);
    expect(drainFifo(fifoFd)).toEqual([]); // no initial notifications without rs_init_notifies
    const web = rt.vs("[203.0.113.10]:tcp:80")!;
    const fw = rt.vs("FWM 5")!;
    expect(web).toBeDefined();
    // initial: both RS start UP (no alpha), quorum 2 met
    expect(web.status?.quorumUp).toBe(true);
    // FILE_CHECK: value 1 x weight 2 -> RS weight 3 + 2
    await until("file weight", sched, () => fw.status?.rs.get("192.0.2.5|0")?.weight === 5);
    sched.advance(0);
    expect(lvs.last.find((s) => s.fwmark === 5)?.dests[0]?.weight).toBe(5);
    // BFD down -> RS DOWN -> quorum lost -> sorry server in, real servers out
    rt.onEvent({ type: "bfdState", name: "b1", state: "Down", at: 0 });
    expect(web.status?.rs.get(`127.0.0.2|${port}`)?.alive).toBe(false);
    expect(web.status?.quorumUp).toBe(false);
    sched.advance(0);
    const svc = () => lvs.last.find((s) => s.addr === "203.0.113.10")!;
    expect(svc().dests.map((d) => `${d.addr}:${d.weight}`)).toEqual(["198.51.100.9:1"]);
    expect(log.lines.some((l) => /^Lost quorum 2-0=2 > \d+ for VS \[203\.0\.113\.10\]:tcp:80$/.test(l))).toBe(true);
    expect(log.lines).toContain("Adding sorry server [198.51.100.9]:tcp:80 to VS [203.0.113.10]:tcp:80");
    expect(scripts).toContain("quorum_down of VS [203.0.113.10]:tcp:80");
    // The starting quorum is reported too, marked initial (bgp_announce follows it; no alert for it).
    expect(sent).toEqual([
      "vs [203.0.113.10]:80 UP initial",
      "vs FWM 5 UP initial",
      `rs [203.0.113.10]:80 [127.0.0.2]:${port} DOWN 0`,
      "vs [203.0.113.10]:80 DOWN",
    ]);
    expect(drainFifo(fifoFd)).toEqual([
      `RS [127.0.0.2]:tcp:${port} [203.0.113.10]:tcp:80 DOWN`,
      "VS [203.0.113.10]:tcp:80 DOWN",
    ]);
    // BFD up again -> quorum back, sorry server out
    rt.onEvent({ type: "bfdState", name: "b1", state: "Up", at: 0 });
    sched.advance(0);
    expect(svc().dests.map((d) => d.addr).sort()).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(drainFifo(fifoFd)).toEqual([
      `RS [127.0.0.2]:tcp:${port} [203.0.113.10]:tcp:80 UP`,
      "VS [203.0.113.10]:tcp:80 UP",
    ]);
    // stop the TCP server -> TCP_CHECK fails -> RS DOWN
    server.stop(true);
    await until("RS DOWN", sched, () => web.status?.rs.get(`127.0.0.1|${port}`)?.alive === false);
    expect(
      log.lines.some((l) => l.startsWith(`RS [127.0.0.1]:tcp:${port} of VS [203.0.113.10]:tcp:80 is DOWN (TCP_CHECK`)),
    ).toBe(true);
    expect(scripts).toContain(`notify_down of RS [127.0.0.1]:tcp:${port}`);
    expect(drainFifo(fifoFd)).toEqual([
      `RS [127.0.0.1]:tcp:${port} [203.0.113.10]:tcp:80 DOWN`,
      "VS [203.0.113.10]:tcp:80 DOWN",
    ]);
    // start it again -> UP
    server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    await until("RS UP", sched, () => web.status?.rs.get(`127.0.0.1|${port}`)?.alive === true);
    // the file changes -> weight follows through inotify
    writeFileSync(join(dir, "val"), "4\n");
    await until("file weight 11", sched, () => fw.status?.rs.get("192.0.2.5|0")?.weight === 11);
    // reload with one RS added: the others keep their runners (no "restarting" line), the new one starts
    const before = log.lines.length;
    rt.apply(conf(port, `  real_server 127.0.0.3 ${port} {\n    weight 1\n  }\n`), true);
    const after = log.lines.slice(before);
    expect(after.some((l) => l.includes("restarting"))).toBe(false);
    expect(after).toContain(`RS [127.0.0.3]:tcp:${port} of VS [203.0.113.10]:tcp:80 starts UP`);
    expect(web.status?.rs.get(`127.0.0.1|${port}`)?.alive).toBe(true);
    // the same configuration with every line moved (comments at the top): nothing restarts
    const moved = log.lines.length;
    rt.apply(conf(port, `  real_server 127.0.0.3 ${port} {\n    weight 1\n  }\n`, "# moved\n! down\n\n"), true);
    expect(log.lines.slice(moved).filter((l) => l.includes("restarting") || l.includes("starts"))).toEqual([]);
    // USR1 dump
    rt.dump("data");
    const dump = readFileSync(join(dir, "check.data"), "utf8");
    // keepalived 2.2.7's layout (src/dump/ka-check.ts): the VS block with its quorum, the FILE_CHECK block.
    const vsBlock = dump.slice(dump.indexOf(" VS VIP = 203.0.113.10, VPORT = 80"));
    expect(vsBlock.slice(0, vsBlock.indexOf("------< Real server >------"))).toContain("   quorum_state_up = 1\n");
    expect(dump).toContain("   Keepalive method = FILE_CHECK\n");
    rt.stop();
    closeSync(fifoFd);
    expect(lvs.cleaned).toBe(1);
    expect(sched.pending).toBe(0);
    reactor.close();
    server.stop(true);
  }, 30_000);
});

describe("CheckRuntime: ha_suspend and omega", () => {
  function haConf(): CheckSlice {
    const f = join(dir, "ha.conf");
    writeFileSync(
      f,
      `
bfd_instance b2 {
  neighbor_ip 127.0.0.2
}
virtual_server 203.0.113.20 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  ha_suspend
  omega
  quorum_down /bin/true
  real_server 127.0.0.1 19902 {
    notify_down /bin/true
    TCP_CHECK {
      connect_timeout 1
      warmup 0
    }
  }
  real_server 127.0.0.2 19902 {
    BFD_CHECK {
      name b2
    }
  }
}
`,
    );
    return sliceFor(loadConfig(f, { configId: "t" }).config, "check");
  }

  test("checkers pause while the VIP is not local and resume when a vrrpState says it may be", async () => {
    const sched = new FakeScheduler();
    const reactor = new Reactor();
    const local = new Set<string>();
    const log = new CapLog();
    const rt = new CheckRuntime({
      log,
      sched,
      watcher: reactor,
      lvs: new RecordingLvs(),
      keepIpvsOnStop: true,
      localAddresses: () => local,
      runNotify: () => {},
    });
    rt.apply(haConf(), false);
    const vs = rt.vs("[203.0.113.20]:tcp:80")!;
    expect(vs.suspended).toBe(true);
    local.add("203.0.113.20");
    rt.onEvent({
      type: "vrrpState",
      instance: "VI_1",
      state: "MASTER",
      priority: 100,
      effectivePriority: 100,
    });
    expect(vs.suspended).toBe(false);
    local.clear();
    sched.advance(2000); // the periodic look at the addresses
    expect(vs.suspended).toBe(true);
    expect(log.lines.some((l) => l.includes("suspending checkers (ha_suspend)"))).toBe(true);
    rt.stop();
    reactor.close();
  });

  test("omega: stopping runs notify_down for live real servers and quorum_down; -I keeps IPVS", () => {
    const sched = new FakeScheduler();
    const reactor = new Reactor();
    const lvs = new RecordingLvs();
    const scripts: string[] = [];
    const rt = new CheckRuntime({
      log: new CapLog(),
      sched,
      watcher: reactor,
      lvs,
      keepIpvsOnStop: true,
      localAddresses: () => new Set(["203.0.113.20"]),
      runNotify: (_s, why) => scripts.push(why),
    });
    rt.apply(haConf(), false);
    rt.onEvent({ type: "bfdState", name: "b2", state: "Up", at: 0 });
    rt.stop();
    expect(scripts).toEqual([
      "notify_down of RS [127.0.0.1]:tcp:19902",
      "quorum_down of VS [203.0.113.20]:tcp:80",
    ]);
    expect(lvs.cleaned).toBe(0);
    reactor.close();
  });
});

describe("CheckRuntime: notify_fifo_script without a VRRP child", () => {
  const conf = (vrrp: string) => `
global_defs {
  notify_fifo ${dir}/shared.fifo
  notify_fifo_script ${dir}/shared.sh
}
${vrrp}
virtual_server 203.0.113.31 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 127.0.0.2 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
  test("the check child starts the shared FIFO's reader when there is no VRRP child; otherwise the slice leaves it to the VRRP child", async () => {
    const out = join(dir, "shared.out");
    writeFileSync(
      join(dir, "shared.sh"),
      `#!/bin/sh
echo "$1" > ${out}
exec sleep 30
`,
      { mode: 0o755 },
    );
    const f = join(dir, "shared.conf");
    writeFileSync(f, conf(""));
    const reactor = new Reactor();
    const rt = new CheckRuntime({ log: new CapLog(), sched: new FakeScheduler(), watcher: reactor, lvs: new RecordingLvs(), keepIpvsOnStop: false });
    rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), false);
    // The shell creates the file before echo writes to it: wait for the line, not the file.
    const line = () => (existsSync(out) ? readFileSync(out, "utf8").trim() : "");
    for (let i = 0; i < 200 && line() === ""; i++) await Bun.sleep(20);
    expect(line()).toBe(join(dir, "shared.fifo"));
    rt.stop();
    reactor.close();
    writeFileSync(f, conf("vrrp_instance V {\n  interface lo\n  virtual_router_id 9\n  priority 100\n  virtual_ipaddress {\n    192.0.2.9\n  }\n}"));
    const c = loadConfig(f, { configId: "t" }).config;
    expect(sliceFor(c, "check").global.notifyFifo?.script).toBeNull();
    expect(sliceFor(c, "vrrp").global.notifyFifo?.script).not.toBeNull();
  });
});

describe("CheckRuntime: lvs_notify_fifo_script", () => {
  test("the reader script gets the FIFO path and the lines; it is stopped with the child", async () => {
    const out = join(dir, "reader.out");
    const pidFile = join(dir, "reader.pid");
    writeFileSync(join(dir, "reader.sh"), `#!/bin/sh\necho $$ > ${pidFile}\nexec cat "$1" > ${out}\n`, {
      mode: 0o755,
    });
    const f = join(dir, "fifo.conf");
    writeFileSync(
      f,
      `
global_defs {
  lvs_notify_fifo ${dir}/r.fifo
  lvs_notify_fifo_script ${dir}/reader.sh
}
bfd_instance b3 {
  neighbor_ip 127.0.0.2
}
virtual_server 203.0.113.30 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 127.0.0.2 80 {
    BFD_CHECK {
      name b3
    }
  }
}
`,
    );
    const sched = new FakeScheduler();
    const reactor = new Reactor();
    const rt = new CheckRuntime({
      log: new CapLog(),
      sched,
      watcher: reactor,
      lvs: new RecordingLvs(),
      keepIpvsOnStop: false,
    });
    rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), false);
    rt.onEvent({ type: "bfdState", name: "b3", state: "Down", at: 0 });
    const want = "RS [127.0.0.2]:tcp:80 [203.0.113.30]:tcp:80 DOWN\nVS [203.0.113.30]:tcp:80 DOWN\n";
    for (let i = 0; i < 200 && !(existsSync(out) && readFileSync(out, "utf8") === want); i++) {
      await Bun.sleep(20);
    }
    expect(readFileSync(out, "utf8")).toBe(want);
    const pid = Number(readFileSync(pidFile, "utf8"));
    rt.stop();
    reactor.close();
    const gone = () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z");
    for (let i = 0; i < 100 && !gone(); i++) await Bun.sleep(20);
    expect(gone()).toBe(true);
  });
});
