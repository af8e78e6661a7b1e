/**
 * A reload scenario in two namespaces joined by a veth pair: the subject (ours or keepalived) in A is
 * MASTER (priority 150) of VRID 51 with VIP 192.0.2.100; keepalived 2.2.7 in B is the witness BACKUP
 * (priority 100). Its configuration path is a symlink the scenario points at each file before a HUP, so
 * the subject can be sent /dev/zero, a FIFO or a directory as its configuration. A poller reads both
 * sides' addresses every ~10 ms and records every interval in which the subject's VIP was missing, and
 * whether the witness ever held it. Used by test/netns/config-reload.test.ts and bench/reload-hup.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, vethPair, waitFor } from "./netns.ts";

/** The VIP the subject holds. */
export const VIP = "192.0.2.100";

/** The subject's configuration: one instance, the blocks in the order given. */
export function subjectConf(opts: { comment?: string; swap?: boolean; routerId?: string } = {}): string {
  const g = `global_defs {\n  router_id ${opts.routerId ?? "krl_a"}\n  vrrp_version 3\n}\n`;
  const v = opts.swap
    ? `vrrp_instance VI_1 {\n  priority 150\n  virtual_router_id 51\n  interface veth0\n  advert_int 0.1\n  state BACKUP\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`
    : `vrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 51\n  priority 150\n  advert_int 0.1\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
  return `${opts.comment ?? ""}${opts.swap ? v + g : g + v}`;
}

const WITNESS =
  `global_defs {\n  router_id krl_b\n  vrrp_version 3\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 51\n  priority 100\n  advert_int 0.1\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;

/** One missing-VIP interval on the subject, ms since the scenario started. */
export interface Absence {
  from: number;
  to: number;
}

/** The running scenario. */
export class ReloadScenario {
  readonly dir = mkdtempSync("/tmp/krl-");
  readonly a: Netns;
  readonly b: Netns;
  subject: Subprocess | undefined;
  witness: Subprocess | undefined;
  readonly logs = { subject: "", witness: "" };
  readonly absences: Absence[] = [];
  /** Polls in which the witness held the VIP. */
  witnessHeld = 0;
  polls = 0;
  #polling = false;
  #poller: Promise<void> | undefined;
  #missingSince: number | undefined;
  readonly #t0 = performance.now();

  constructor(tag: string) {
    this.a = new Netns(`krl-a${tag}`);
    this.b = new Netns(`krl-b${tag}`);
    vethPair(this.a, "veth0", this.b, "veth0");
    this.a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    this.b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    mkdirSync(join(this.dir, "files"));
  }

  /** The path the subject reads its configuration from (a symlink). */
  get confPath(): string {
    return join(this.dir, "keepalived.conf");
  }

  /** Writes `name` under the scenario's files directory; returns its path. */
  file(name: string, text: string | Uint8Array): string {
    const p = join(this.dir, "files", name);
    writeFileSync(p, text);
    return p;
  }

  /** Points the subject's configuration path at `target`. */
  point(target: string): void {
    try {
      unlinkSync(this.confPath);
    } catch { /* first time */ }
    symlinkSync(target, this.confPath);
  }

  /** Starts the witness, then the subject (`bin` ours or keepalived) with `first`; waits for MASTER. */
  async start(bin: string, first: string, extraArgs: string[] = []): Promise<void> {
    writeFileSync(join(this.dir, "w.conf"), WITNESS);
    const w = (s: string) => join(this.dir, `w-${s}.pid`);
    this.witness = this.b.spawn(["/usr/sbin/keepalived", "-n", "-l", "-D", "-P", "-f", join(this.dir, "w.conf"), "-p", w("k"), "-r", w("v")], {
      stderr: "pipe",
      stdout: "pipe",
    });
    this.#collect(this.witness, "witness");
    await waitFor("witness BACKUP", () => /Entering BACKUP STATE/.test(this.logs.witness), 20_000);
    this.point(first);
    const s = (x: string) => join(this.dir, `s-${x}.pid`);
    const ours = !bin.endsWith("/usr/sbin/keepalived");
    const args = ["-n", "-l", "-D", "-P", "-f", this.confPath, "-p", s("k"), "-r", s("v"), "-c", s("c"), ...(ours ? ["-G", "-b", s("b")] : []), ...extraArgs];
    this.subject = this.a.spawn([bin, ...args], { stderr: "pipe", stdout: "pipe" });
    this.#collect(this.subject, "subject");
    await waitFor("subject MASTER with the VIP", () => this.#hasVip(this.a) && /Entering MASTER STATE/.test(this.logs.subject), 20_000);
    await waitFor("witness sees the subject", () => !this.#hasVip(this.b), 10_000);
    this.#polling = true;
    this.#poller = this.#poll();
  }

  /** The subject's parent pid. */
  get subjectPid(): number {
    return Number(readFileSync(join(this.dir, "s-k.pid"), "utf8"));
  }

  /** Sends HUP to the subject's parent. */
  hup(): void {
    process.kill(this.subjectPid, "SIGHUP");
  }

  /** Whether the subject's parent process is still running. */
  subjectAlive(): boolean {
    return this.subject?.exitCode === null && this.subject.signalCode === null;
  }

  /** Transitions the witness logged ("MASTER" / "BACKUP"), in order. */
  witnessTransitions(): string[] {
    return (this.logs.witness.match(/\(VI_1\) Entering (MASTER|BACKUP) STATE/g) ?? []).map((l) => l.split(" ")[2]!);
  }

  /** Total ms the subject's VIP was missing since `since` (ms on the scenario clock), a current absence included. */
  absentMs(since = 0): number {
    const all = this.#missingSince === undefined ? this.absences : [...this.absences, { from: this.#missingSince, to: this.now() }];
    return all.filter((x) => x.to >= since).reduce((s, x) => s + (x.to - Math.max(x.from, since)), 0);
  }

  /** Now on the scenario clock, ms. */
  now(): number {
    return performance.now() - this.#t0;
  }

  #hasVip(ns: Netns): boolean {
    return ns.ip("-4", "-o", "addr", "show", "dev", "veth0").includes(`${VIP}/`);
  }

  async #read(ns: Netns): Promise<boolean> {
    const p = Bun.spawn(["ip", "-n", ns.name, "-4", "-o", "addr", "show", "dev", "veth0"], { stdout: "pipe", stderr: "ignore" });
    const out = await new Response(p.stdout).text();
    await p.exited;
    return out.includes(`${VIP}/`);
  }

  async #poll(): Promise<void> {
    while (this.#polling) {
      const [mine, theirs] = await Promise.all([this.#read(this.a), this.#read(this.b)]);
      const t = this.now();
      this.polls++;
      if (theirs) this.witnessHeld++;
      if (!mine && this.#missingSince === undefined) this.#missingSince = t;
      if (mine && this.#missingSince !== undefined) {
        this.absences.push({ from: this.#missingSince, to: t });
        this.#missingSince = undefined;
      }
      await Bun.sleep(10);
    }
    if (this.#missingSince !== undefined) this.absences.push({ from: this.#missingSince, to: this.now() });
    this.#missingSince = undefined;
  }

  #collect(p: Subprocess, key: "subject" | "witness"): void {
    for (const s of [p.stderr, p.stdout] as ReadableStream<Uint8Array>[]) {
      const r = s.getReader();
      const dec = new TextDecoder();
      void (async () => {
        for (;;) {
          const { done, value } = await r.read();
          if (done) break;
          this.logs[key] += dec.decode(value, { stream: true });
        }
      })();
    }
  }

  /** Stops polling and both daemons, deletes the namespaces and files. */
  async destroy(): Promise<void> {
    this.#polling = false;
    await this.#poller;
    for (const p of [this.subject, this.witness]) p?.kill("SIGTERM");
    await Promise.race([Promise.all([this.subject?.exited, this.witness?.exited]), Bun.sleep(8000)]);
    await this.a.destroy();
    await this.b.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One configuration a HUP is sent with: `valid` ones must be applied, the others refused or skipped. */
export interface ReloadCase {
  readonly name: string;
  readonly valid: boolean;
  /** Writes what the case needs and returns the path the configuration symlink points at. */
  prepare(s: ReloadScenario): string;
}

/** `bytes` of xorshift noise, a newline every 97; `printable`: only ASCII 32..126 (no NUL, so it is parsed). */
function garbage(bytes: number, printable = false): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    out[i] = i % 97 === 96 ? 10 : printable ? 32 + (r % 95) : r & 0xff;
  }
  return out;
}

/** Valid rewrites of the same meaning: comments, moved blocks, reordered keywords, includes. */
export const VALID_CASES: readonly ReloadCase[] = [
  { name: "same file", valid: true, prepare: (s) => s.file("same.conf", subjectConf()) },
  { name: "a comment line at the top", valid: true, prepare: (s) => s.file("comment.conf", subjectConf({ comment: "# a comment\n! another\n\n" })) },
  { name: "blocks moved, keywords reordered", valid: true, prepare: (s) => s.file("moved.conf", subjectConf({ swap: true, comment: "\n\n\n" })) },
  {
    name: "instance moved into an include",
    valid: true,
    prepare: (s) => {
      const [g, v] = subjectConf().split(/(?=vrrp_instance)/);
      const inc = s.file("inc-vi.conf", `# included\n${v}`);
      return s.file("with-include.conf", `${g}\n# the instance lives in ${inc}\ninclude ${inc}\n`);
    },
  },
];

/** Files that must never change what runs (refused, or a skipped part with the rest unchanged). */
export const BROKEN_CASES: readonly ReloadCase[] = [
  { name: "/dev/zero", valid: false, prepare: () => "/dev/zero" },
  {
    name: "a FIFO",
    valid: false,
    prepare: (s) => {
      const p = join(s.dir, "files", "fifo.conf");
      Bun.spawnSync(["rm", "-f", p]);
      Bun.spawnSync(["mkfifo", p]);
      return p;
    },
  },
  { name: "a directory", valid: false, prepare: (s) => join(s.dir, "files") },
  { name: "5 MB of garbage", valid: false, prepare: (s) => s.file("garbage.conf", garbage(5 * 1024 * 1024)) },
  { name: "5 MB of printable garbage", valid: false, prepare: (s) => s.file("text-garbage.conf", garbage(5 * 1024 * 1024, true)) },
  { name: "an empty file", valid: false, prepare: (s) => s.file("empty.conf", "") },
  { name: "include /dev/zero", valid: false, prepare: (s) => s.file("inc-zero.conf", `include /dev/zero\n${subjectConf()}`) },
  { name: "a missing include", valid: false, prepare: (s) => s.file("inc-missing.conf", `include ${s.dir}/files/none.conf\n${subjectConf()}`) },
  {
    name: "an include loop",
    valid: false,
    prepare: (s) => {
      const p = join(s.dir, "files", "loop.conf");
      return s.file("loop.conf", `include ${p}\ninclude ${p}\n${subjectConf()}`);
    },
  },
  {
    name: "a missing '}' (stray instance)",
    valid: false,
    prepare: (s) =>
      s.file(
        "unclosed.conf",
        `vrrp_instance VI_3 {\n  interface veth0\n  virtual_router_id 53\n  priority 200\n  virtual_ipaddress {\n    192.0.2.103/24\n  }\n${subjectConf()}`,
      ),
  },
  { name: "an unknown interface", valid: false, prepare: (s) => s.file("badif.conf", subjectConf().replace("interface veth0", "interface nosuch0")) },
  { name: "a bad VRID", valid: false, prepare: (s) => s.file("badvrid.conf", subjectConf().replace("virtual_router_id 51", "virtual_router_id 300")) },
  {
    name: "an unknown keyword",
    valid: false,
    prepare: (s) => s.file("badkw.conf", subjectConf().replace("advert_int 0.1", "advert_int 0.1\n  no_such_keyword 1")),
  },
  { name: "a 10 MB router_id", valid: false, prepare: (s) => s.file("rid.conf", subjectConf({ routerId: "R".repeat(10 * 1024 * 1024) })) },
  { name: "~SEQ over its limit", valid: false, prepare: (s) => s.file("seq.conf", `~SEQ(i, 1, 100000000) $i\n${subjectConf()}`) },
  {
    name: "a $ expansion that doubles 40 times",
    valid: false,
    prepare: (s) => {
      const defs = Array.from({ length: 40 }, (_, i) => `$D${i + 1}=$D${i} $D${i}`).join("\n");
      return s.file("expand.conf", `$D0=${"x".repeat(1000)}\n${defs}\n${subjectConf({ routerId: "$D40" })}`);
    },
  },
];
