/**
 * Typed model of the LVS / health-check area of keepalived.conf(5): virtual_server_group,
 * virtual_server, real_server, sorry_server and every checker block (TCP_CHECK, HTTP_GET, SSL_GET,
 * MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK) plus SSL{}.
 * Import these through model.ts. Same JSON rules as model.ts (plain data, null for unset).
 */
import type { Family, ScriptSpec, SourceRef } from "./model-base.ts";

/** IPVS forwarding method and, for TUN, the tunnel encapsulation. */
export interface ForwardMethod {
  readonly method: "NAT" | "DR" | "TUN";
  /** TUN only: ipip (default), gue or gre. */
  readonly tunnelType: "ipip" | "gue" | "gre" | null;
  /** GUE only: UDP port. */
  readonly tunnelPort: number | null;
  /** `nocsum` / `csum` / `remcsum`; null = default. */
  readonly tunnelChecksum: "nocsum" | "csum" | "remcsum" | null;
}

/** One `virtual_server_group` entry: an address range, or a fwmark. */
export interface VsgEntry {
  readonly kind: "address" | "fwmark";
  readonly family: Family | null;
  /** First address of the range (kind address). */
  readonly address: string | null;
  /** Last address of the range; equal to `address` for a single address. */
  readonly lastAddress: string | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly src: SourceRef;
}

/** `virtual_server_group NAME {}`. */
export interface VirtualServerGroup {
  readonly name: string;
  readonly entries: readonly VsgEntry[];
  readonly src: SourceRef;
}

/** Fields every checker has (checker-level values inherited from RS then VS, already resolved). */
export interface CheckerCommon {
  readonly connectIp: string | null;
  /** null = the real server's port. */
  readonly connectPort: number | null;
  readonly bindTo: string | null;
  readonly bindPort: number | null;
  readonly bindIf: string | null;
  readonly fwmark: number | null;
  /** Default 5000. */
  readonly connectTimeoutMs: number;
  /** Retries before DOWN. Default 1 (DNS 3, MISC 0). */
  readonly retry: number;
  /** Default 1000 (HTTP/SSL 3000). */
  readonly delayBeforeRetryMs: number;
  /** Random delay before the first check, up to this. Default = delayLoopMs. */
  readonly warmupMs: number;
  /** Interval between checks. Default 60000 (via RS, VS). */
  readonly delayLoopMs: number;
  /** Start in the failed state. */
  readonly alpha: boolean;
  readonly logAllFailures: boolean;
  readonly src: SourceRef;
}

/** `url {}` inside HTTP_GET / SSL_GET. */
export interface HttpUrl {
  readonly path: string;
  /** Lower-case MD5 hex; null = not checked. */
  readonly digest: string | null;
  /** Accepted status codes as inclusive ranges. Default [[200, 299]]. */
  readonly statusCodes: readonly (readonly [number, number])[];
  readonly virtualhost: string | null;
  readonly regex: string | null;
  readonly regexNoMatch: boolean;
  readonly regexOptions: readonly string[];
  readonly regexStack: number | null;
  readonly regexMinOffset: number | null;
  readonly regexMaxOffset: number | null;
  readonly src: SourceRef;
}

/** TCP_CHECK: connect only. */
export interface TcpCheck extends CheckerCommon {
  readonly type: "TCP_CHECK";
}
/** PING_CHECK: ICMP / ICMPv6 echo. */
export interface PingCheck extends CheckerCommon {
  readonly type: "PING_CHECK";
}

/** HTTP_GET / SSL_GET. */
export interface HttpCheck extends CheckerCommon {
  readonly type: "HTTP_GET" | "SSL_GET";
  readonly urls: readonly HttpUrl[];
  /** `http_protocol 1.0|1.1|1.0C|1.0K`; default "1.0". */
  readonly httpProtocol: string;
  readonly virtualhost: string | null;
  readonly fastRecovery: boolean;
  readonly enableSni: boolean;
  readonly sniName: string | null;
  readonly tlsCompliant: boolean;
}

/** MISC_CHECK. */
export interface MiscCheck extends CheckerCommon {
  readonly type: "MISC_CHECK";
  readonly script: ScriptSpec | null;
  /** Default = delayLoopMs. */
  readonly miscTimeoutMs: number | null;
  /** Exit status 2..255 sets weight (status - 2). */
  readonly miscDynamic: boolean;
}

/** SMTP_CHECK. */
export interface SmtpCheck extends CheckerCommon {
  readonly type: "SMTP_CHECK";
  readonly heloName: string | null;
}

/** DNS_CHECK. */
export interface DnsCheck extends CheckerCommon {
  readonly type: "DNS_CHECK";
  /** Query type, default "SOA". */
  readonly queryType: string;
  /** Query name, default ".". */
  readonly name: string;
}

/** UDP_CHECK. */
export interface UdpCheck extends CheckerCommon {
  readonly type: "UDP_CHECK";
  /** Payload bytes as lower-case hex; null = empty datagram. */
  readonly payloadHex: string | null;
  readonly requireReply: boolean;
  /** Expected reply prefix as hex; null = any. */
  readonly requireReplyHex: string | null;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

/** FILE_CHECK: weight follows a track_file. */
export interface FileCheck extends CheckerCommon {
  readonly type: "FILE_CHECK";
  readonly trackFile: string | null;
  readonly weight: number | null;
  readonly weightReverse: boolean;
}

/** BFD_CHECK: follows a bfd_instance. */
export interface BfdCheck extends CheckerCommon {
  readonly type: "BFD_CHECK";
  readonly name: string | null;
}

/** Any checker; discriminate on `type`. */
export type Checker =
  | TcpCheck
  | PingCheck
  | HttpCheck
  | MiscCheck
  | SmtpCheck
  | DnsCheck
  | UdpCheck
  | FileCheck
  | BfdCheck;

/**
 * Checker timings written at the virtual or real server level (inherited by its checkers), null where
 * not written there; a real server's values include what it inherits from its virtual server.
 */
export interface ServerTiming {
  readonly connectTimeoutMs: number | null;
  readonly retry: number | null;
  readonly delayBeforeRetryMs: number | null;
  readonly warmupMs: number | null;
  readonly delayLoopMs: number | null;
}

/** `real_server IP [PORT] {}`. */
export interface RealServer {
  readonly address: string;
  readonly family: Family;
  /** null = the virtual server's port. */
  readonly port: number | null;
  /** Default 1. */
  readonly weight: number;
  /** null = the virtual server's method. */
  readonly forward: ForwardMethod | null;
  readonly inhibitOnFailure: boolean | null;
  readonly uthreshold: number | null;
  readonly lthreshold: number | null;
  readonly notifyUp: ScriptSpec | null;
  readonly notifyDown: ScriptSpec | null;
  readonly smtpAlert: boolean | null;
  readonly virtualhost: string | null;
  /** `snmp_name`: realServerName in the SNMP real server table. */
  readonly snmpName: string | null;
  readonly alpha: boolean | null;
  readonly timing: ServerTiming;
  readonly checkers: readonly Checker[];
  readonly src: SourceRef;
}

/** `sorry_server IP [PORT]`. */
export interface SorryServer {
  readonly address: string;
  readonly port: number | null;
  readonly inhibit: boolean;
  readonly forward: ForwardMethod | null;
}

/** `virtual_server IP PORT | fwmark N | group NAME {}`. */
export interface VirtualServer {
  readonly kind: "address" | "fwmark" | "group";
  readonly address: string | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly group: string | null;
  /** From the address, or `ip_family`; null when undetermined (group/fwmark without RS). */
  readonly family: Family | null;
  /** TCP (default), UDP or SCTP. */
  readonly protocol: "TCP" | "UDP" | "SCTP";
  /** Scheduler, default "wlc". */
  readonly scheduler: string;
  /** Scheduler flags: flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback. */
  readonly schedFlags: readonly string[];
  /** One-packet scheduling. */
  readonly ops: boolean;
  /** Default NAT. */
  readonly forward: ForwardMethod;
  /** null = no persistence. Bare keyword = 360000. */
  readonly persistenceTimeoutMs: number | null;
  readonly persistenceGranularity: string | null;
  readonly persistenceEngine: string | null;
  readonly haSuspend: boolean;
  readonly virtualhost: string | null;
  readonly snmpName: string | null;
  readonly alpha: boolean;
  readonly omega: boolean;
  /** Default 1. */
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp: ScriptSpec | null;
  readonly quorumDown: ScriptSpec | null;
  readonly sorryServer: SorryServer | null;
  readonly inhibitOnFailure: boolean;
  /** Default 60000. */
  readonly delayLoopMs: number;
  readonly smtpAlert: boolean | null;
  /** Undocumented VS-level weight (default 1). */
  readonly weight: number;
  readonly timing: ServerTiming;
  readonly realServers: readonly RealServer[];
  readonly src: SourceRef;
}

/** `SSL {}` (client certificate for SSL_GET). */
export interface SslSettings {
  readonly password: string | null;
  readonly caFile: string | null;
  readonly certificateFile: string | null;
  readonly keyFile: string | null;
}

/** Everything the checker child needs besides globals. */
export interface CheckSection {
  readonly ssl: SslSettings | null;
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
}
