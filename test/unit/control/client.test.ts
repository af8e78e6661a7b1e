/** `keepalived ctl` command lines (src/control/client.ts): each command's request, defaults, mistakes. */
import { describe, expect, test } from "bun:test";
import { parseCtlArgs, Usage } from "../../../src/control/client.ts";

/** No configuration file at the default path (whatever this host has there). */
const noConf = () => undefined;

describe("keepalived ctl arguments", () => {
  test("requests, socket path and options", () => {
    expect(parseCtlArgs(["status"], noConf)).toEqual({
      socket: "/run/keepalived/control.sock",
      json: false,
      timeoutMs: 30_000,
      request: { v: 1, cmd: "status" },
    });
    expect(parseCtlArgs(["-p", "/tmp/x/k.pid", "--json", "watch"], noConf)).toMatchObject({
      socket: "/tmp/x/k.ctl/control.sock",
      json: true,
      request: { cmd: "watch" },
    });
    expect(parseCtlArgs(["failover", "VI_1", "--hold", "5", "-s", "/tmp/s.sock"]).request).toEqual({
      v: 1,
      cmd: "failover",
      target: "VI_1",
      holdS: 5,
      force: false,
    });
    expect(parseCtlArgs(["failover", "--force", "G1"]).request).toEqual({ v: 1, cmd: "failover", target: "G1", holdS: 60, force: true });
    expect(parseCtlArgs(["drain", "10.0.0.1:80", "--vs", "[192.0.2.1]:80", "--persist"]).request).toEqual({
      v: 1,
      cmd: "drain",
      rs: "10.0.0.1:80",
      vs: "[192.0.2.1]:80",
      persist: true,
    });
    expect(parseCtlArgs(["undrain", "10.0.0.1"]).request).toEqual({ v: 1, cmd: "undrain", rs: "10.0.0.1", persist: false });
    expect(parseCtlArgs(["weight", "10.0.0.1", "7"]).request).toMatchObject({ cmd: "weight", rs: "10.0.0.1", weight: 7 });
    expect(parseCtlArgs(["weight", "10.0.0.1", "reset"]).request).toMatchObject({ weight: null });
    expect(parseCtlArgs(["reload", "--check"]).request).toEqual({ v: 1, cmd: "reload", check: true });
    expect(parseCtlArgs(["log-level", "debug"]).request).toEqual({ v: 1, cmd: "logLevel", level: "debug" });
    expect(parseCtlArgs(["--timeout", "2", "status"]).timeoutMs).toBe(2000);
  });

  test("mistakes are usage errors naming the problem", () => {
    const err = (a: string[]) => {
      try {
        parseCtlArgs(a);
        return "accepted";
      } catch (e) {
        expect(e).toBeInstanceOf(Usage);
        return (e as Error).message;
      }
    };
    expect(err([])).toBe("no command");
    expect(err(["frob"])).toBe("unknown command 'frob'");
    expect(err(["failover"])).toBe("failover: missing target");
    expect(err(["failover", "VI_1", "--hold", "soon"])).toBe("--hold must be a whole number, got 'soon'");
    expect(err(["weight", "10.0.0.1"])).toBe("weight needs RS and N (or reset)");
    expect(err(["weight", "10.0.0.1", "-3"])).toBe("weight must be a whole number, got '-3'");
    expect(err(["status", "extra"])).toBe("unexpected argument 'extra'");
    expect(err(["-s"])).toBe("-s needs a value");
  });
});
