/**
 * keepalived(8)-compatible command line. Short options may be bundled (-lDn), values attached or
 * separate (-f FILE, -fFILE, --use-file=FILE, --use-file FILE); optional values attach only (-t=LOG,
 * -gFILE, --log-file=FILE). An unknown option or a missing value is one line on stderr and exit 1.
 */
import type { Role } from "./core/ipc.ts";

/** What the command line asked for. */
export interface CliOptions {
  configFile: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  noBfd: boolean;
  all: boolean;
  logConsole: boolean;
  logDetail: boolean;
  /** syslog facility number (daemon = 3, user = 1, local0..7 = 16..23). */
  facility: number;
  noSyslog: boolean;
  logFile?: string;
  flushLogFile: boolean;
  umask?: number;
  releaseVips: boolean;
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  dontRespawn: boolean;
  dontFork: boolean;
  /** -d / --dump-conf[=text|json|yaml]. */
  dumpConf?: "text" | "json" | "yaml";
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  bfdPidFile: string;
  /** The pid files given with -p/-r/-c/-b (kept as given whatever `instance` and `use_pid_dir` say). */
  givenPids: Partial<Record<"parent" | "vrrp" | "check" | "bfd", string>>;
  /** Internal: the configuration's `instance` name, which a child's syslog ident carries. */
  instance?: string;
  /** -s/--namespace NAME: overrides the configuration's `net_namespace` (src/procs/netns.ts). */
  netNamespace?: string;
  /** Internal: `net_namespace_ipvs` for the check child ("" = the initial namespace). */
  ipvsNamespace?: string;
  addressMonitoring: boolean;
  /** -x / --snmp: the SNMP subagent with every MIB (src/snmp/service.ts). */
  snmp: boolean;
  /** -A / --snmp-agent-socket: the AgentX master socket. */
  snmpSocket?: string;
  allConfig: boolean;
  configId?: string;
  signum?: string;
  configTest: boolean;
  configTestLog?: string;
  version: boolean;
  help: boolean;
  /** Arguments after -T / --genhash. */
  genhash?: string[];
  /** Internal: this process is a child with this role. */
  role?: Role;
  /** Internal: this process is the detached daemon (not the launching command). */
  daemonized: boolean;
  /** Warnings about accepted options that do nothing in this build. */
  notices: string[];
}

/** A command-line error: one line for the user, exit status 1. */
export class CliError extends Error {
  readonly code = "CLI";
}

type Kind = "flag" | "value" | "optional";
interface Spec {
  short?: string;
  long: string;
  kind: Kind;
  apply: (o: CliOptions, v: string | undefined) => void;
}

const FACILITIES: Record<string, number> = { daemon: 3, user: 1 };
for (let i = 0; i < 8; i++) FACILITIES[`local${i}`] = 16 + i;

function facility(v: string): number {
  if (/^[0-7]$/.test(v)) return 16 + Number(v);
  const f = FACILITIES[v];
  if (f === undefined) throw new CliError(`invalid log facility '${v}': use 0-7, local0-local7, user or daemon`);
  return f;
}

const SPECS: Spec[] = [
  { short: "f", long: "use-file", kind: "value", apply: (o, v) => (o.configFile = v!) },
  { short: "P", long: "vrrp", kind: "flag", apply: (o) => (o.vrrpOnly = true) },
  { short: "C", long: "check", kind: "flag", apply: (o) => (o.checkOnly = true) },
  { short: "B", long: "no_bfd", kind: "flag", apply: (o) => (o.noBfd = true) },
  { long: "all", kind: "flag", apply: (o) => (o.all = true) },
  { short: "l", long: "log-console", kind: "flag", apply: (o) => (o.logConsole = true) },
  { short: "D", long: "log-detail", kind: "flag", apply: (o) => (o.logDetail = true) },
  { short: "S", long: "log-facility", kind: "value", apply: (o, v) => (o.facility = facility(v!)) },
  { short: "G", long: "no-syslog", kind: "flag", apply: (o) => (o.noSyslog = true) },
  { short: "g", long: "log-file", kind: "optional", apply: (o, v) => (o.logFile = v || "/tmp/keepalived.log") },
  { long: "flush-log-file", kind: "flag", apply: (o) => (o.flushLogFile = true) },
  {
    short: "u",
    long: "umask",
    kind: "value",
    apply: (o, v) => {
      const n = /^0[xX][0-9a-fA-F]+$/.test(v!) ? parseInt(v!, 16) : /^0[0-7]*$/.test(v!) ? parseInt(v!, 8) : /^\d+$/.test(v!) ? Number(v) : NaN;
      if (!(n >= 0 && n <= 0o777)) throw new CliError(`invalid umask '${v}'`);
      o.umask = n;
    },
  },
  { short: "X", long: "release-vips", kind: "flag", apply: (o) => (o.releaseVips = true) },
  { short: "V", long: "dont-release-vrrp", kind: "flag", apply: (o) => (o.dontReleaseVrrp = true) },
  { short: "I", long: "dont-release-ipvs", kind: "flag", apply: (o) => (o.dontReleaseIpvs = true) },
  { short: "R", long: "dont-respawn", kind: "flag", apply: (o) => (o.dontRespawn = true) },
  { short: "n", long: "dont-fork", kind: "flag", apply: (o) => (o.dontFork = true) },
  {
    short: "d",
    long: "dump-conf",
    kind: "optional",
    apply: (o, v) => {
      const f = v || "text";
      if (f !== "text" && f !== "json" && f !== "yaml") throw new CliError(`invalid dump format '${v}': use text, json or yaml`);
      o.dumpConf = f;
    },
  },
  { short: "p", long: "pid", kind: "value", apply: (o, v) => (o.pidFile = o.givenPids.parent = v!) },
  { short: "r", long: "vrrp_pid", kind: "value", apply: (o, v) => (o.vrrpPidFile = o.givenPids.vrrp = v!) },
  { short: "c", long: "checkers_pid", kind: "value", apply: (o, v) => (o.checkersPidFile = o.givenPids.check = v!) },
  { short: "b", long: "bfd_pid", kind: "value", apply: (o, v) => (o.bfdPidFile = o.givenPids.bfd = v!) },
  { short: "a", long: "address-monitoring", kind: "flag", apply: (o) => (o.addressMonitoring = true) },
  { short: "x", long: "snmp", kind: "flag", apply: (o) => (o.snmp = true) },
  { short: "A", long: "snmp-agent-socket", kind: "value", apply: (o, v) => (o.snmpSocket = v!) },
  {
    short: "s",
    long: "namespace",
    kind: "value",
    apply: (o, v) => (o.netNamespace = v!),
  },
  { short: "m", long: "core-dump", kind: "flag", apply: (o) => o.notices.push("-m/--core-dump: core dumps are not produced by this build; option ignored") },
  {
    short: "M",
    long: "core-dump-pattern",
    kind: "optional",
    apply: (o) => o.notices.push("-M/--core-dump-pattern: core dumps are not produced by this build; option ignored"),
  },
  { short: "e", long: "all-config", kind: "flag", apply: (o) => (o.allConfig = true) },
  { short: "i", long: "config-id", kind: "value", apply: (o, v) => (o.configId = v!) },
  { long: "signum", kind: "value", apply: (o, v) => (o.signum = v!) },
  {
    short: "t",
    long: "config-test",
    kind: "optional",
    apply: (o, v) => {
      o.configTest = true;
      if (v) o.configTestLog = v;
    },
  },
  { short: "v", long: "version", kind: "flag", apply: (o) => (o.version = true) },
  { short: "h", long: "help", kind: "flag", apply: (o) => (o.help = true) },
  {
    long: "role",
    kind: "value",
    apply: (o, v) => {
      if (v !== "vrrp" && v !== "check" && v !== "bfd") throw new CliError(`invalid role '${v}'`);
      o.role = v;
    },
  },
  { long: "daemonized", kind: "flag", apply: (o) => (o.daemonized = true) },
  { long: "instance", kind: "value", apply: (o, v) => (o.instance = v!) },
  { long: "ipvs-namespace", kind: "value", apply: (o, v) => (o.ipvsNamespace = v ?? "") },
];

/** Defaults as keepalived 2.2.7 has them. */
export function defaultOptions(): CliOptions {
  return {
    configFile: "/etc/keepalived/keepalived.conf",
    vrrpOnly: false,
    checkOnly: false,
    noBfd: false,
    all: false,
    logConsole: false,
    logDetail: false,
    facility: 3,
    noSyslog: false,
    flushLogFile: false,
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    dontFork: false,
    pidFile: "/run/keepalived.pid",
    vrrpPidFile: "/run/vrrp.pid",
    checkersPidFile: "/run/checkers.pid",
    bfdPidFile: "/run/bfd.pid",
    givenPids: {},
    addressMonitoring: false,
    snmp: false,
    allConfig: false,
    configTest: false,
    version: false,
    help: false,
    daemonized: false,
    notices: [],
  };
}

/** Parses argv (without the program name). Throws CliError with one line to print. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const o = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-T" || arg === "--genhash") {
      o.genhash = argv.slice(i + 1);
      return o;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = SPECS.find((s) => s.long === name);
      if (!spec) throw new CliError(`unknown option '--${name}' (see --help)`);
      let v: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.kind === "flag" && v !== undefined) throw new CliError(`option '--${name}' takes no value`);
      if (spec.kind === "value" && v === undefined) {
        if (i + 1 >= argv.length) throw new CliError(`option '--${name}' needs a value`);
        v = argv[++i];
      }
      spec.apply(o, v);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const spec = SPECS.find((s) => s.short === c);
        if (!spec) throw new CliError(`unknown option '-${c}' (see --help)`);
        if (spec.kind === "flag") {
          spec.apply(o, undefined);
          continue;
        }
        let v: string | undefined = arg.slice(j + 1);
        if (v.startsWith("=")) v = v.slice(1);
        if (v === "") {
          if (spec.kind === "value") {
            if (i + 1 >= argv.length) throw new CliError(`option '-${c}' needs a value`);
            v = argv[++i];
          } else v = undefined;
        }
        spec.apply(o, v);
        break;
      }
      continue;
    }
    throw new CliError(`unexpected argument '${arg}' (see --help)`);
  }
  if (o.vrrpOnly && o.checkOnly) throw new CliError("-P/--vrrp and -C/--check cannot be used together");
  return o;
}

/** Signal numbers for --signum. STATS_CLEAR and JSON differ from keepalived's real-time signals, which a
 * Bun process cannot catch; scripts that ask --signum keep working. */
export const SIGNUMS: Record<string, number> = {
  STOP: 15,
  RELOAD: 1,
  DATA: 10,
  STATS: 12,
  STATS_CLEAR: 23,
  JSON: 28,
  TDATA: 10,
};

/** The text printed by -h. */
export function usage(prog = "keepalived"): string {
  return `Usage: ${prog} [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                (default /etc/keepalived/keepalived.conf)
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if they have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility (default daemon)
  -G, --no-syslog              Don't log via syslog
  -g, --log-file[=FILE]        Also log to FILE (default /tmp/keepalived.log)
      --flush-log-file         Flush the log file after each line
  -u, --umask=MASK             umask for file creation (numeric)
  -X, --release-vips           Drop VIPs on transition from signal
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and routes on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -d, --dump-conf[=FORMAT]     Dump the configuration data (text, json or yaml)
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -T, --genhash                Enter genhash utility mode (must be the first option)
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -x, --snmp                   Enable the SNMP subsystem (AgentX subagent of snmpd)
  -A, --snmp-agent-socket=FILE Use the specified socket for connection to the SNMP master agent
  -e, --all-config             Error if any configuration file is missing
  -i, --config-id ID           Skip configuration lines beginning '@' that don't match ID
                                or lines beginning '@^' that do (default: short host name)
      --signum=SIGFUNC         Print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -t, --config-test[=LOG_FILE] Check the configuration and exit (0 ok, 4 not runnable, 5 errors, 6 script security)
  -v, --version                Display the version number
  -h, --help                   Display this help message
Run-time control of a running daemon: ${prog} ctl COMMAND (see ${prog} ctl --help, docs/control.md).
`;
}
