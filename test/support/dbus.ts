/**
 * A private system-style D-Bus daemon for tests: its own config (keepalived's policy file
 * /etc/dbus-1/system.d/org.keepalived.Vrrp1.conf included, root may also own names below it for
 * dbus_service_name, everyone may talk and monitor)
 * and socket under a temporary directory; busctl and dbus-monitor pointed at it with --address.
 */
import type { Subprocess } from "bun";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One private bus. */
export class PrivateBus {
  daemon: Subprocess | undefined;
  readonly socket: string;
  readonly address: string;

  constructor(readonly dir: string) {
    this.socket = join(dir, "bus");
    this.address = `unix:path=${this.socket}`;
    writeFileSync(
      join(dir, "bus.conf"),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>${this.address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
  <include>/etc/dbus-1/system.d/org.keepalived.Vrrp1.conf</include>
  <policy user="root">
    <allow own_prefix="org.keepalived.Vrrp1"/>
  </policy>
</busconfig>
`,
    );
  }

  /** Starts dbus-daemon and waits for its socket. */
  async start(): Promise<void> {
    this.daemon = Bun.spawn(["dbus-daemon", `--config-file=${join(this.dir, "bus.conf")}`, "--nofork"], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 100 && !existsSync(this.socket); i++) await Bun.sleep(50);
    if (!existsSync(this.socket)) throw new Error("dbus-daemon did not create its socket");
  }

  /** `busctl --address=… ARGS`; output and exit code. */
  busctl(...args: string[]): { out: string; ok: boolean } {
    const p = Bun.spawnSync(["busctl", `--address=${this.address}`, ...args], { stdout: "pipe", stderr: "pipe" });
    return { out: p.stdout.toString() + p.stderr.toString(), ok: p.exitCode === 0 };
  }

  /** Watches the signals under an object path; `signals()` returns "path member args" lines so far. */
  monitor(pathNamespace: string): { signals(): string[]; stop(): Promise<void> } {
    const p = Bun.spawn(["dbus-monitor", "--address", this.address, `type='signal',path_namespace='${pathNamespace}'`], { stdout: "pipe", stderr: "ignore" });
    let text = "";
    void (async () => {
      for await (const c of p.stdout as ReadableStream<Uint8Array>) text += new TextDecoder().decode(c);
    })();
    return {
      signals: () => {
        const out: string[] = [];
        for (const block of text.split(/\n(?=signal )/)) {
          const m = /path=([^;]+); interface=([^;]+); member=(\S+)/.exec(block);
          if (!m || m[2] === "org.freedesktop.DBus") continue;
          const args = block.split("\n").slice(1).map((l) => l.trim()).filter(Boolean).join(" ");
          out.push(`${m[1]} ${m[3]}${args ? ` ${args}` : ""}`);
        }
        return out;
      },
      stop: async () => {
        p.kill("SIGTERM");
        await p.exited;
      },
    };
  }

  /** Stops the daemon. */
  async stop(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null) {
      this.daemon.kill("SIGTERM");
      await this.daemon.exited;
    }
  }
}
