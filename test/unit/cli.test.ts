import { describe, expect, test } from "bun:test";
import { CliError, parseArgs } from "../../src/cli.ts";

describe("keepalived(8) command line", () => {
  test("defaults are keepalived's", () => {
    const o = parseArgs([]);
    expect(o.configFile).toBe("/etc/keepalived/keepalived.conf");
    expect([o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.bfdPidFile]).toEqual(["/run/keepalived.pid", "/run/vrrp.pid", "/run/checkers.pid", "/run/bfd.pid"]);
    expect(o.facility).toBe(3);
  });
  test("bundled short flags, attached and separate values, long forms", () => {
    const o = parseArgs(["-lDn", "-fa.conf", "-p", "/x.pid", "--vrrp_pid=/v.pid", "--checkers_pid", "/c.pid", "-S", "local4", "-i", "lb1", "-R"]);
    expect(o.logConsole && o.logDetail && o.dontFork && o.dontRespawn).toBe(true);
    expect(o.configFile).toBe("a.conf");
    expect([o.pidFile, o.vrrpPidFile, o.checkersPidFile]).toEqual(["/x.pid", "/v.pid", "/c.pid"]);
    expect(o.facility).toBe(20);
    expect(o.configId).toBe("lb1");
    expect(parseArgs(["-S", "3"]).facility).toBe(19);
  });
  test("optional values attach only", () => {
    expect(parseArgs(["-t"]).configTest).toBe(true);
    expect(parseArgs(["-t=/tmp/x"]).configTestLog).toBe("/tmp/x");
    expect(parseArgs(["--config-test=/tmp/y"]).configTestLog).toBe("/tmp/y");
    expect(parseArgs(["-g"]).logFile).toBe("/tmp/keepalived.log");
    expect(parseArgs(["-g/var/log/k.log"]).logFile).toBe("/var/log/k.log");
    expect(parseArgs(["--dump-conf=json"]).dumpConf).toBe("json");
    expect(parseArgs(["-d"]).dumpConf).toBe("text");
  });
  test("genhash mode takes the rest of the line", () => {
    expect(parseArgs(["-T", "-s", "1.2.3.4", "-u", "/"]).genhash).toEqual(["-s", "1.2.3.4", "-u", "/"]);
  });
  test("-x and -A turn SNMP on and name the AgentX socket", () => {
    const o = parseArgs(["-x", "-A", "unix:/tmp/agentx"]);
    expect(o.snmp).toBe(true);
    expect(o.snmpSocket).toBe("unix:/tmp/agentx");
    expect(parseArgs(["--snmp-agent-socket=/run/agentx"]).snmpSocket).toBe("/run/agentx");
    expect(parseArgs([]).snmp).toBe(false);
  });
  test("errors are one clear line", () => {
    const cases: [string[], RegExp][] = [
      [["-Z"], /unknown option '-Z'/],
      [["--bogus"], /unknown option '--bogus'/],
      [["-f"], /'-f' needs a value/],
      [["--use-file"], /'--use-file' needs a value/],
      [["--vrrp=1"], /takes no value/],
      [["-S", "local9"], /invalid log facility 'local9'/],
      [["-P", "-C"], /cannot be used together/],
      [["-A"], /'-A' needs a value/],
      [["stray"], /unexpected argument 'stray'/],
      [["-u", "999"], /invalid umask/],
      [["--dump-conf=xml"], /invalid dump format/],
    ];
    for (const [argv, re] of cases) {
      let err: unknown;
      try {
        parseArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain("\n");
    }
  });
  test("core dump options are accepted with a plain notice", () => {
    expect(parseArgs(["-m"]).notices[0]).toMatch(/not produced by this build/);
  });
});
