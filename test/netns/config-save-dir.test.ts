/**
 * `config_save_dir` and `tmp_config_directory` beside keepalived 2.2.7 (namespace kmi-sd*): one start and
 * one HUP under each daemon; the files config_save_dir then holds (pids replaced by P) must be the same
 * names — keepalived.conf.P.0 and .1, keepalived_vrrp.P.1.pre/.post, keepalived_bfd.P.1.pre/.post — with
 * mode 0600, and the copy of the configuration the same text. A tmp_config_directory that cannot be
 * written is reported with keepalived's sentence.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { netnsWithVeth, sh } from "../support/netns.ts";
import { KEEPALIVED, OURS } from "../support/dump/dump-capture.ts";

const dir = mkdtempSync("/tmp/kmi-sd-");
const ns = netnsWithVeth(`kmi-sd${process.pid % 10000}`, "kmi0", "kmi1", "10.250.0.1/24");
afterAll(async () => {
  await ns.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = (save: string) =>
  `global_defs {
  config_save_dir ${save}
  tmp_config_directory ${dir}/no-such-dir
}
vrrp_instance V1 {
    interface kmi0   ! a comment
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

interface Saved {
  names: string[];
  modes: number[];
  copy: string;
  log: string;
}

function run(daemon: string, name: string): Saved {
  const d = join(dir, name);
  const save = join(d, "save");
  sh(["mkdir", "-p", d]);
  writeFileSync(join(d, "k.conf"), conf(save));
  const waitFor = (cond: string, tenths = 300) => `i=0; while ! ( ${cond} ) && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i+1)); done`;
  const script = [
    `${daemon} -f ${d}/k.conf -l -D -n -p ${d}/k.pid -r ${d}/v.pid -c ${d}/c.pid -b ${d}/b.pid > ${d}/log.txt 2>&1 & k=$!`,
    waitFor(`grep -q 'Entering MASTER STATE' ${d}/log.txt`),
    "sleep 1",
    "kill -HUP $k",
    waitFor(`[ $(ls ${save} | grep -c '\\.post$') -ge 2 ]`, 150),
    "sleep 0.5",
    "kill -TERM $k",
    waitFor("! kill -0 $k 2>/dev/null", 150),
  ].join("\n");
  ns.exec(["sh", "-c", script]);
  const files = readdirSync(save).sort();
  const copy = files.find((f) => f.endsWith(".0"));
  return {
    names: files.map((f) => f.replace(/\.\d+\.(\d+)/, ".P.$1")).sort(),
    modes: files.map((f) => statSync(join(save, f)).mode & 0o777),
    copy: copy ? readFileSync(join(save, copy), "utf8").replaceAll(d, "D") : "",
    log: readFileSync(join(d, "log.txt"), "utf8"),
  };
}

describe("config_save_dir beside keepalived 2.2.7", () => {
  test("the same files after a start and a reload, the same copy of the configuration", () => {
    const theirs = run(KEEPALIVED, "ka");
    const ours = run(OURS, "ours");
    const why = `keepalived's log:\n${theirs.log}\nours:\n${ours.log}`;
    expect(ours.names, why).toEqual(theirs.names);
    expect(ours.names).toEqual([
      "keepalived.conf.P.0",
      "keepalived.conf.P.1",
      "keepalived_bfd.P.1.post",
      "keepalived_bfd.P.1.pre",
      "keepalived_vrrp.P.1.post",
      "keepalived_vrrp.P.1.pre",
    ]);
    expect(ours.modes.every((m) => m === 0o600)).toBe(true);
    expect(ours.copy).toBe(theirs.copy);
    const said = `Cannot open config directory ${dir}/no-such-dir for writing`;
    expect(theirs.log).toContain(said);
    expect(ours.log).toContain(said);
  }, 120_000);
});
