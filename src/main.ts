/**
 * Entry point: parse the command line and dispatch to a role (parent, VRRP/check/BFD child, config test,
 * genhash). Nothing else lives here.
 */
import { basename } from "node:path";
import { CliError, type CliOptions, parseArgs, SIGNUMS, usage } from "./cli.ts";
import { VERSION_LINE } from "./version.ts";
import type { KeepalivedConfig } from "./config/model.ts";
import { ensureTuned, needsTuning, tunedEnv } from "./procs/tuning.ts";
import type { EarlyChild } from "./procs/prespawn.ts";
import { startMark } from "./core/start-trace.ts";
import { accessSync, appendFileSync, constants, existsSync, statSync } from "node:fs";
// Everything else is imported where it is used: the build splits the bundle into chunks, so the first
// start (which only re-executes itself, tuning.ts) and the children never load the configuration code.

function fail(msg: string, status = 1): never {
  process.stderr.write(`keepalived: ${msg}\n`);
  process.exit(status);
}

async function main(argv: string[]): Promise<void> {
  const prog = basename(process.argv[1] && !process.argv[1].startsWith("/$bunfs/") ? process.argv[1] : process.argv0);
  // Each role loads only its own modules (a VRRP child never evaluates the mailer or the checkers).
  const genhash = async (args: string[]) => (await import("./check/genhash.ts")).genhashMain(args);
  if (prog === "genhash" || basename(process.execPath) === "genhash") process.exit(await genhash(argv));
  const ctl = async (args: string[]) => (await import("./control/client.ts")).ctlMain(args);
  if (prog === "keepalivectl" || basename(process.execPath) === "keepalivectl") process.exit(await ctl(argv));
  if (argv[0] === "ctl") process.exit(await ctl(argv.slice(1)));
  if (argv[0] === "genhash") process.exit(await genhash(argv.slice(1)));
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) fail(e.message);
    throw e;
  }
  for (const n of o.notices) process.stderr.write(`keepalived: ${n}\n`);
  if (o.genhash) process.exit(await genhash(o.genhash));
  if (o.help) {
    process.stdout.write(usage());
    return;
  }
  if (o.version) {
    process.stdout.write(`${VERSION_LINE}\n`);
    return;
  }
  if (o.signum !== undefined) {
    const n = SIGNUMS[o.signum.toUpperCase()];
    if (n === undefined) fail(`unknown signal function '${o.signum}' (use ${Object.keys(SIGNUMS).join(", ")})`);
    process.stdout.write(`${n}\n`);
    return;
  }
  if (o.umask !== undefined) process.umask(o.umask);
  if (o.role) {
    startMark(o.role, "main");
    const { runChild } = await import("./procs/child.ts");
    // One call per role, so that each runtime is typed for its own configuration slice.
    if (o.role === "vrrp") {
      const m = await import("./procs/vrrp.ts");
      runChild("vrrp", o, m.createVrrpRuntime, m.loop);
    } else if (o.role === "check") {
      const m = await import("./procs/check.ts");
      runChild("check", o, m.createCheckRuntime, m.loop);
    } else {
      const m = await import("./procs/bfd.ts");
      runChild("bfd", o, m.createBfdRuntime, m.loop);
    }
    return;
  }
  if (o.configTest) return await configTest(o);
  await runParent(o, argv);
}

/** -d text in keepalived's layout (src/dump/ka-conf.ts); --dump-conf=json|yaml our model (docs/dumps.md). */
async function confDump(c: KeepalivedConfig, format: "text" | "json" | "yaml"): Promise<string> {
  if (format !== "text") return (await import("./config/index.ts")).dumpConfig(c, format);
  return (await import("./dump/ka-conf.ts")).confText(c);
}

async function configTest(o: CliOptions): Promise<void> {
  const { formatDiagnostic, loadConfig } = await import("./config/index.ts");
  const { configIdDefault, interfaceExists } = await import("./procs/common.ts");
  const r = loadConfig(o.configFile, { configId: o.configId ?? configIdDefault(), interfaceExists, allConfig: o.allConfig });
  const text = r.diagnostics.map((d) => formatDiagnostic(d) + "\n").join("");
  if (o.configTestLog) appendFileSync(o.configTestLog, text);
  else process.stderr.write(text);
  if (o.dumpConf) process.stdout.write(await confDump(r.config, o.dumpConf));
  process.exit(r.exitCode);
}

/** A start-up failure of the parent: told to the launcher when daemonized, else printed; exit `status`. */
class EarlyExit extends Error {
  constructor(message: string, readonly status = 1) {
    super(message);
  }
}

async function runParent(o: CliOptions, argv: string[]): Promise<void> {
  if (!o.dontFork && !o.daemonized) process.exit(await (await import("./procs/daemonize.ts")).launchDaemon(argv));
  let handed: EarlyChild | undefined;
  if (o.dontFork && needsTuning()) {
    // The VRRP child is started before the re-exec: its runtime start overlaps the exec and the parent's.
    const env = tunedEnv();
    handed = (await import("./procs/prespawn.ts")).reexecHandingVrrp(o, env);
    if (!handed) ensureTuned(env);
  }
  startMark("parent", "main");
  // The VRRP child's runtime starts while this process loads the configuration code and parses the file.
  const early = handed ?? (await import("./procs/prespawn.ts")).prespawnVrrp(o);
  startMark("parent", "prespawned");
  const { reportLaunch } = await import("./procs/daemonize.ts");
  try {
    await startParent(o, early);
  } catch (e) {
    if (!(e instanceof EarlyExit)) throw e;
    void early?.discard();
    if (o.daemonized) {
      reportLaunch({ type: "failed", reason: e.message });
      process.exit(e.status);
    }
    fail(e.message, e.status);
  }
}

async function startParent(o: CliOptions, earlyVrrp: EarlyChild | undefined): Promise<void> {
  const { isRunnable, loadConfig } = await import("./config/index.ts");
  const { CAPS, refuseStat } = await import("./config/read.ts");
  const { configIdDefault, interfaceExists, logLoad, makeLogger, startPageTrim } = await import("./procs/common.ts");
  const { reportLaunch } = await import("./procs/daemonize.ts");
  const early = (reason: string, status = 1): never => {
    throw new EarlyExit(reason, status);
  };
  if (!existsSync(o.configFile)) early(`cannot read configuration file ${o.configFile}: no such file`);
  try {
    accessSync(o.configFile, constants.R_OK);
  } catch (e) {
    early(`cannot read configuration file ${o.configFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const refused = refuseStat(o.configFile, statSync(o.configFile), CAPS.fileBytes);
  if (refused) early(refused);
  const log = makeLogger(o, "parent");
  const { probeTmpConfigDir, ReadFiles, saveConfigCopy } = await import("./procs/config-save.ts");
  const read = new ReadFiles();
  startMark("parent", "config code");
  const main = (await import("./procs/prespawn.ts")).takeMainRead(o.configFile); // the pre-scan's read: the file is read once
  const r = loadConfig(o.configFile, { configId: o.configId ?? configIdDefault(), interfaceExists, allConfig: o.allConfig, onRead: read.onRead, main });
  startMark("parent", "parsed");
  // net_namespace (or -s): re-executed inside it (reading the configuration again there) before anything is logged.
  const g = o.netNamespace === undefined ? r.config.global : { ...r.config.global, netNamespace: o.netNamespace };
  const { enterConfiguredNetns, needsNetnsExec } = await import("./procs/netns.ts");
  if (needsNetnsExec(g.netNamespace)) await earlyVrrp?.discard(); // started outside the namespace: reaped before the exec
  const nsFailed = enterConfiguredNetns(g.netNamespace);
  log.info(`Starting ${VERSION_LINE}`);
  if (o.netNamespace !== undefined && r.config.global.netNamespace !== null) {
    log.info(`Overriding config net_namespace '${r.config.global.netNamespace}' with command line namespace '${o.netNamespace}'`);
  }
  if (nsFailed) {
    for (const line of nsFailed.slice(0, -1)) log.error(line);
    early(nsFailed.at(-1)!);
  }
  logLoad(log, r.diagnostics);
  if (!isRunnable(r.exitCode)) {
    early(`configuration ${o.configFile} is not usable (see the errors above)`, r.exitCode === 2 ? 2 : 1);
  }
  // -e / --all-config: keepalived exits 6 when a configuration file is missing or refused.
  if (r.diagnostics.some((d) => d.severity === "missing")) early("Config files missing (--all-config)", 6);
  if (o.dumpConf) { for (const line of (await confDump(r.config, o.dumpConf)).trimEnd().split("\n")) log.info(line); }
  const setup = (await import("./procs/instance.ts")).applyInstance(o, g, log);
  const pidErr = (await import("./procs/parent-args.ts")).claimPidFile(o);
  if (pidErr) early(pidErr);
  if (earlyVrrp) (await import("./procs/presend.ts")).presendVrrp(o, r.config, earlyVrrp);
  const { Parent } = await import("./procs/parent.ts");
  startMark("parent", "parent code");
  saveConfigCopy(r.config.global.configSaveDir, 0, read, log);
  probeTmpConfigDir(r.config.global.tmpConfigDirectory, read, log);
  await (await import("./procs/lifecycle-scripts.ts")).runLifecycleScript("startup", r.config.global, log);
  const parent = new Parent(o, log, r.config, r.diagnostics, setup, earlyVrrp);
  startMark("parent", "services");
  parent.start(() => {
    log.info("All child processes are running");
    if (o.daemonized) reportLaunch({ type: "up", pid: process.pid });
    startPageTrim();
    if (process.env.KA_HEAP_DEBUG) void import("./procs/heap-debug.ts").then((m) => m.installHeapDebug("parent"));
  });
  startMark("parent", "spawned");
}

await main(process.argv.slice(2));
