/**
 * Public API of the keepalived.conf(5) implementation: load (preprocess, keyword trees, validation),
 * diagnostics in `file:line: severity: message` form, `keepalived -t` exit codes (0 ok, 2 fatal config error, 4 not
 * runnable, 5 errors but runnable, 6 script security), dumps and per-child slices.
 */
import * as fs from "node:fs";
import type { KeepalivedConfig } from "./model.ts";
import { load } from "./load.ts";
import { readConfigFile, type ReadOutcome } from "./read.ts";
import type { PathStat } from "./scripts.ts";

export type { Diagnostic, Severity } from "./diag.ts";
export { formatDiagnostic, isRunnable } from "./diag.ts";
export { dumpConfig } from "./dump.ts";
export { type BfdSlice, type CheckSlice, type ConfigSlice, needsRole, type RoleSlices, sliceFor, type VrrpSlice } from "./slice.ts";
export type { KeepalivedConfig } from "./model.ts";
import type { Diagnostic, ExitCode } from "./diag.ts";

/** How to load: config id for `@ID` lines and injectable I/O (defaults use the real file system). */
export interface LoadOptions {
  /** Config id for `@ID` / `@^ID` lines and ${_INSTANCE}; callers default it to the short host name. */
  configId: string;
  /** Does a network interface exist? Default: /sys/class/net/NAME exists. */
  interfaceExists?: (name: string) => boolean;
  /** Read a file; undefined when it cannot be read, a refusal when it is not a regular file. Default: readConfigFile. */
  readFile?: (path: string) => ReadOutcome;
  /** List a directory (for include globs). Default: fs.readdirSync. */
  listDir?: (dir: string) => readonly string[] | undefined;
  /** Is PATH an executable file? (script security check). Default: fs.accessSync X_OK on a regular file. */
  isExecutable?: (path: string) => boolean;
  /** stat(2) of a path (script checks); default: fs.statSync. Without it and with isExecutable given, only isExecutable is used. */
  statPath?: (path: string) => PathStat | undefined;
  /** realpath(3) (script checks); default: fs.realpathSync. */
  realPath?: (path: string) => string | undefined;
  /** Does a host name resolve (smtp_server)? Default: `getent ahosts NAME`; in-memory loads skip it. */
  resolveHost?: (name: string) => boolean;
  /** Does a system user exist? (keepalived_script). Default: looks in /etc/passwd. */
  userExists?: (name: string) => boolean;
  /** Seed for ${_RANDOM} when the config has no random_seed. Default: time based. */
  randomSeed?: number;
  /** `-e` / `--all-config`: a missing or refused include is a "missing" error (exit 6). */
  allConfig?: boolean;
  /** Told each file's text as it is read, in order (config_save_dir's copy, src/procs/config-save.ts). */
  onRead?: (path: string, text: string) => void;
  /** The main file as the caller already read it (readConfigFile; the parent's pre-scan): its first read. */
  main?: ReadOutcome;
}

/** Outcome of loadConfig: the frozen model, every diagnostic, and the `-t` exit code. */
export interface LoadResult {
  config: KeepalivedConfig;
  diagnostics: Diagnostic[];
  exitCode: ExitCode;
  /** Logical lines the files gave (0: nothing at all, e.g. an empty file). */
  statements: number;
}

function readFileDefault(p: string): string | undefined {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

function listDirDefault(p: string): string[] | undefined {
  try {
    return fs.readdirSync(p);
  } catch {
    return undefined;
  }
}

function isExecutableDefault(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function statPathDefault(p: string): PathStat | undefined {
  try {
    const st = fs.statSync(p);
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, kind: st.isFile() ? "file" : st.isDirectory() ? "dir" : "other" };
  } catch {
    return undefined;
  }
}

function realPathDefault(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function resolveHostDefault(name: string): boolean {
  const r = Bun.spawnSync(["getent", "ahosts", name], { stdout: "ignore", stderr: "ignore", timeout: 5000 });
  return r.exitCode === 0;
}

function userExistsDefault(name: string): boolean {
  const passwd = readFileDefault("/etc/passwd") ?? "";
  return passwd.split("\n").some((l) => l.split(":")[0] === name);
}

/** `read`, telling `onRead` each text it returns. */
function observed(read: (p: string) => ReadOutcome, onRead?: (path: string, text: string) => void): (p: string) => ReadOutcome {
  if (!onRead) return read;
  return (p) => {
    const r = read(p);
    if (typeof r === "string") onRead(p, r);
    return r;
  };
}

/** `read`, except that the first read of `path` is `main` when the caller has read it already. */
function readingMain(path: string, main: ReadOutcome, read: (p: string) => ReadOutcome): (p: string) => ReadOutcome {
  if (main === undefined) return read;
  let first: ReadOutcome = main;
  return (p) => {
    if (p !== path || first === undefined) return read(p);
    const r = first;
    first = undefined;
    return r;
  };
}

/** Load and validate a keepalived.conf; never throws on bad config text. */
export function loadConfig(path: string, opts: LoadOptions): LoadResult {
  return load(path, {
    configId: opts.configId,
    readFile: observed(readingMain(path, opts.main, opts.readFile ?? ((p) => readConfigFile(p))), opts.onRead),
    listDir: opts.listDir ?? listDirDefault,
    interfaceExists: opts.interfaceExists ?? ((n) => fs.existsSync(`/sys/class/net/${n}`)),
    isExecutable: opts.isExecutable ?? isExecutableDefault,
    // An injected isExecutable alone (in-memory tests) is the whole file system the checks see.
    statPath: opts.statPath ?? (opts.isExecutable ? undefined : statPathDefault),
    realPath: opts.realPath ?? (opts.isExecutable ? undefined : realPathDefault),
    resolveHost: opts.resolveHost ?? (opts.readFile ? undefined : resolveHostDefault),
    userExists: opts.userExists ?? userExistsDefault,
    randomSeed: opts.randomSeed ?? Date.now() >>> 0,
    allConfig: opts.allConfig ?? false,
  });
}
