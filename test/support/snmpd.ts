/**
 * Debian's snmpd as the AgentX master and snmptrapd as the trap sink, started by a test with its own
 * configuration, persistent directory and AgentX socket under a temporary directory, on loopback UDP
 * ports the test picks. snmpwalk output is numeric (-On) so no MIB files are needed; only pids we
 * started are killed.
 */
import type { Subprocess } from "bun";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One snmpd + snmptrapd pair. */
export class SnmpLab {
  snmpd: Subprocess | undefined;
  trapd: Subprocess | undefined;
  readonly agentx: string;
  readonly trapFile: string;

  constructor(readonly dir: string, readonly agentPort: number, readonly trapPort: number) {
    mkdirSync(dir, { recursive: true });
    this.agentx = join(dir, "agentx");
    this.trapFile = join(dir, "traps.log");
    writeFileSync(
      join(dir, "snmpd.conf"),
      [
        "master agentx",
        `agentXSocket unix:${this.agentx}`,
        "agentXPerms 0700 0700",
        "agentXTimeout 5",
        "rocommunity public 127.0.0.1",
        `trap2sink udp:127.0.0.1:${trapPort} public`,
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "trapd.conf"), "disableAuthorization yes\n");
  }

  /** Starts snmpd and waits for its AgentX socket. */
  async startSnmpd(): Promise<void> {
    this.snmpd = Bun.spawn([
      "snmpd",
      "-f",
      "-Lf",
      join(this.dir, "snmpd.log"),
      "-C",
      "-c",
      join(this.dir, "snmpd.conf"),
      "-p",
      join(this.dir, "snmpd.pid"),
      `--persistentDir=${join(this.dir, "persist")}`,
      "-m",
      "",
      `udp:127.0.0.1:${this.agentPort}`,
    ], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 200 && !existsSync(this.agentx); i++) await Bun.sleep(50);
    if (!existsSync(this.agentx)) throw new Error(`snmpd did not create ${this.agentx}`);
  }

  /** Stops snmpd (SIGTERM, then waits). */
  async stopSnmpd(): Promise<void> {
    const p = this.snmpd;
    this.snmpd = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill("SIGTERM");
    await p.exited;
  }

  /** Starts snmptrapd writing one line per notification ("OID|varbind|varbind…"). */
  async startTrapd(): Promise<void> {
    this.trapd = Bun.spawn([
      "snmptrapd",
      "-f",
      "-Lo",
      "-C",
      "-c",
      join(this.dir, "trapd.conf"),
      "-On",
      "-m",
      "",
      "-p",
      join(this.dir, "trapd.pid"),
      `--persistentDir=${join(this.dir, "tpersist")}`,
      "-F",
      "TRAP %V|%v\\n",
      `udp:127.0.0.1:${this.trapPort}`,
    ], { stdout: "pipe", stderr: "ignore" });
    void this.#collect(this.trapd);
    await Bun.sleep(300);
  }

  #lines: string[] = [];
  async #collect(p: Subprocess): Promise<void> {
    const r = (p.stdout as ReadableStream<Uint8Array>).getReader();
    let rest = "";
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      rest += new TextDecoder().decode(value);
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const l of parts) if (l.startsWith("TRAP ")) this.#lines.push(l.slice(5));
    }
  }

  /** Notifications received so far, each "trapOID|name = value|…" without sysUpTime. */
  traps(): string[] {
    return this.#lines.map((l) =>
      l.split(/\t|\|/).map((s) => s.trim()).filter((s) => !s.startsWith(".1.3.6.1.2.1.1.3.0")).map((s) =>
        s.replace(/^\.1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID: /, "")
      ).join("|")
    );
  }

  /** Forgets the notifications received so far. */
  clearTraps(): void {
    this.#lines = [];
  }

  /** `snmpwalk -On` of a subtree: "OID = TYPE: value" lines (empty on no answer). */
  walk(root: string): string[] {
    const p = Bun.spawnSync(["snmpwalk", "-v2c", "-c", "public", "-On", "-Ob", "-m", "", "-r", "1", "-t", "3", `127.0.0.1:${this.agentPort}`, root], {
      stdout: "pipe",
      stderr: "pipe",
    });
    return p.stdout.toString().split("\n").filter((l) => l.startsWith(".") && !l.includes("No Such Object"));
  }

  /** snmpd's log (for failure messages). */
  log(): string {
    const f = join(this.dir, "snmpd.log");
    return existsSync(f) ? readFileSync(f, "utf8").slice(-2000) : "";
  }

  /** Stops both daemons. */
  async stop(): Promise<void> {
    await this.stopSnmpd();
    if (this.trapd && this.trapd.exitCode === null) {
      this.trapd.kill("SIGTERM");
      await this.trapd.exited;
    }
  }
}
