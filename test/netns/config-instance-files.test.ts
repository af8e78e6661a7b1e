/**
 * `instance`, `use_pid_dir` and `data_use_instance` beside keepalived 2.2.7 (namespace kmi-if*): the same
 * configurations run under Debian's keepalived and ours, each in a private mount namespace with its own
 * /run and /tmp (tmpfs), so the fixed paths collide with nobody. The pid files each leaves under /run while
 * running, the USR1 data files under /tmp, and whether /run/keepalived is gone after TERM must be the same.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { netnsWithVeth, sh } from "../support/netns.ts";
import { KEEPALIVED, OURS } from "../support/dump/dump-capture.ts";

const dir = mkdtempSync("/tmp/kmi-if-");
const ns = netnsWithVeth(`kmi-if${process.pid % 10000}`, "kmi0", "kmi1", "10.250.0.1/24");
afterAll(async () => {
  await ns.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const BODY = `vrrp_instance V1 {
  interface kmi0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.251.0.1/32
  }
}
bfd_instance B1 {
  neighbor_ip 10.250.0.2
  source_ip 10.250.0.1
}
`;

/** What one run showed: files under /run while running, data files after USR1, /run after TERM. */
interface Seen {
  running: string[];
  data: string[];
  after: string[];
  log: string;
}

/** Runs `daemon` on `conf` (extra command-line options `args`) in a private /run and /tmp. */
function run(daemon: string, name: string, conf: string, args = ""): Seen {
  const d = join(dir, name);
  sh(["mkdir", "-p", d]);
  writeFileSync(join(d, "k.conf"), conf);
  const waitFor = (cond: string, tenths = 300) => `i=0; while ! ( ${cond} ) && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i+1)); done`;
  const pids = "find /run -name '*.pid' | sort";
  const script = [
    `mount --bind ${dir} /mnt`,
    "mount -t tmpfs none /tmp",
    "mount -t tmpfs none /run",
    `mkdir -p ${dir}`,
    `mount --bind /mnt ${dir}`,
    `${daemon} -f ${d}/k.conf -l -D -n ${args} > ${d}/log.txt 2>&1 & echo $! > ${d}/daemon.pid`,
    // The parent, VRRP and BFD pid files (three), wherever the daemon puts them.
    waitFor(`[ $(${pids} | wc -l) -ge 3 ]`),
    waitFor(`grep -q 'Entering MASTER STATE' ${d}/log.txt`),
    `${pids} > ${d}/running.txt`,
    `k=$(cat ${d}/daemon.pid)`,
    "kill -USR1 $k",
    waitFor("[ $(ls /tmp | grep -c '\\.data$') -ge 3 ]", 50),
    "sleep 0.5",
    `ls /tmp | grep '\\.data$' | sort > ${d}/data.txt`,
    "kill -TERM $k",
    waitFor("! kill -0 $k 2>/dev/null", 150),
    // /run/mount is util-linux's own (mount writes its utab there).
    `find /run -mindepth 1 ! -path '/run/mount*' | sort > ${d}/after.txt`,
  ].join("\n");
  ns.exec(["unshare", "-m", "--propagation", "private", "sh", "-c", script]);
  const lines = (f: string) => readFileSync(join(d, f), "utf8").split("\n").filter((l) => l !== "");
  return { running: lines("running.txt"), data: lines("data.txt"), after: lines("after.txt"), log: readFileSync(join(d, "log.txt"), "utf8") };
}

/** Runs both daemons on one configuration and compares what they left. */
function compare(name: string, conf: string, args = ""): { theirs: Seen; ours: Seen } {
  const theirs = run(KEEPALIVED, `${name}-ka`, conf, args);
  const ours = run(OURS, `${name}-ours`, conf, args);
  const why = `keepalived's log:\n${theirs.log}\nours:\n${ours.log}`;
  expect({ running: ours.running, data: ours.data, after: ours.after }, why).toEqual({
    running: theirs.running,
    data: theirs.data,
    after: theirs.after,
  });
  return { theirs, ours };
}

describe("instance files beside keepalived 2.2.7", () => {
  test("instance + data_use_instance: pid files in /run/keepalived named for the instance, data files carry it", () => {
    const { ours } = compare("inst", `instance kmi7\nglobal_defs {\n  data_use_instance\n}\n${BODY}`);
    expect(ours.running).toEqual(["/run/keepalived/bfd_kmi7.pid", "/run/keepalived/keepalived_kmi7.pid", "/run/keepalived/vrrp_kmi7.pid"]);
    expect(ours.data).toEqual(["keepalived.kmi7.data", "keepalived_bfd.kmi7.data", "keepalived_parent.kmi7.data"]);
    expect(ours.after).toEqual([]);
    expect(ours.log).toContain("Changing syslog ident to Keepalived_kmi7");
  }, 120_000);

  test("use_pid_dir alone: /run/keepalived with the plain names; instance without data_use_instance: plain data names", () => {
    const a = compare("piddir", `use_pid_dir\n${BODY}`);
    expect(a.ours.running).toEqual(["/run/keepalived/bfd.pid", "/run/keepalived/keepalived.pid", "/run/keepalived/vrrp.pid"]);
    const b = compare("nodata", `instance kmi8\n${BODY}`);
    expect(b.ours.data).toEqual(["keepalived.data", "keepalived_bfd.data", "keepalived_parent.data"]);
  }, 240_000);

  test("a pid file given on the command line wins over the instance's name", () => {
    const { ours } = compare("given", `instance kmi9\n${BODY}`, "-p /run/given.pid");
    expect(ours.running).toContain("/run/given.pid");
  }, 120_000);
});
