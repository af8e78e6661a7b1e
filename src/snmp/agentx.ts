/**
 * Our AgentX subagent session (RFC 2741) with the master agent (snmpd), through net-snmp's Subagent:
 * Open (§6.2.1), Register per MIB root (§6.2.3), Get / GetNext / GetBulk answered from a MibView
 * (§7.2.3), Notify for traps (§6.2.10). net-snmp is loaded only when SNMP is on. Around the library:
 * PDUs are framed from the stream by their header length (§6.1; the library assumes one PDU per read),
 * a PDU the library cannot parse is counted and dropped, sets are refused (notWritable, §7.2.4.1), and
 * octet strings / IpAddress values are encoded as bytes (the library writes them as UTF-8 text or not
 * at all). A lost master (snmpd stopped) is retried with a capped backoff; nothing else waits on it.
 */
import type { Socket } from "node:net";
import type { Logger } from "../core/log.ts";
import { type MibView, parseOid, under, type Varbind } from "./oid.ts";

/** The part of net-snmp we use (it ships no types). */
interface NetSnmp {
  ObjectType: Record<string, number> & {
    Integer: number;
    OctetString: number;
    Gauge: number;
    Counter: number;
    Counter64: number;
    TimeTicks: number;
    IpAddress: number;
    EndOfMibView: number;
    NoSuchInstance: number;
    NoSuchObject: number;
  };
  createSubagent(o: { master: string; masterPort: string | number; description: string }): Sub;
  /** The PDU class: its static writers (patched by patchVarbindWriter) and constructor. */
  AgentXPdu: {
    writeVarBind(buffer: unknown, vb: unknown): void;
    writeOid(buffer: unknown, oid: string): void;
    createFromVariables(v: object): unknown;
  };
  AgentXPduType: Record<string, number>;
}

/** Where the master agent listens: `unix:/path`, `/path`, `tcp:host:port` or `host:port`. */
export type MasterAddress = { path: string } | { host: string; port: number };

/** Parses `snmp_socket` / `-A` (net-snmp transport syntax, the two stream transports AgentX uses). */
export function parseMasterAddress(text: string): MasterAddress {
  if (text.startsWith("unix:")) return { path: text.slice(5) };
  if (text.startsWith("/")) return { path: text };
  const m = /^(?:tcp:)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (m && Number(m[2]) > 0 && Number(m[2]) < 65536) return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  throw new Error(`snmp socket '${text}': use unix:/path, tcp:host:port or host:port`);
}

/** Notifications kept while the session is not open, and for how long. */
const QUEUE_MAX = 64;
const QUEUE_AGE_MS = 30_000;

/** Largest PDU we accept from the master (a GetBulk request is far smaller). */
const MAX_PDU = 1 << 20;

/** Options of an AgentX session. */
export interface AgentXOptions {
  master: MasterAddress;
  log: Logger;
  /** MIB subtrees to register, with the view that answers them. */
  roots: readonly (readonly number[])[];
  view: () => MibView;
  description: string;
  /** Reconnect delays, ms. @default 1000 doubling to 30000 */
  retryMs?: { first: number; max: number };
}

let lib: NetSnmp | undefined;

/** Loads net-snmp once and fixes its AgentX octet-string encoding. */
async function loadNetSnmp(): Promise<NetSnmp> {
  if (lib) return lib;
  // The module is untyped (net-snmp.d.ts): NetSnmp above is the contract we rely on.
  const m: { default?: NetSnmp } & NetSnmp = await import("net-snmp");
  lib = m.default ?? m;
  patchVarbindWriter(lib);
  return lib;
}

type SmartBuf = { writeUInt16BE(v: number): void; writeUInt32BE(v: number): void; writeUInt8(v: number): void; writeBuffer(b: Buffer): void };

function patchVarbindWriter(s: NetSnmp): void {
  const P = s.AgentXPdu;
  const orig = P.writeVarBind.bind(P);
  const T = s.ObjectType;
  P.writeVarBind = (buffer: unknown, vb: unknown) => {
    const v = vb as { type: number; oid: string; value: unknown };
    if (v.type !== T.OctetString && v.type !== T.IpAddress) return orig(buffer, vb);
    const b = buffer as SmartBuf;
    const bytes = Buffer.from(v.value as Uint8Array | string);
    b.writeUInt16BE(v.type);
    b.writeUInt16BE(0);
    P.writeOid(b, v.oid);
    b.writeUInt32BE(bytes.length);
    b.writeBuffer(bytes);
    for (let i = bytes.length % 4; i % 4 !== 0; i++) b.writeUInt8(0);
  };
}

/** Converts our varbind to net-snmp's. */
function toLib(s: NetSnmp, vb: Varbind): { oid: string; type: number; value: unknown } {
  const T = s.ObjectType;
  const type = { int: T.Integer, str: T.OctetString, gauge: T.Gauge, counter: T.Counter, counter64: T.Counter64, ticks: T.TimeTicks, ip: T.IpAddress }[vb.type];
  return { oid: vb.oid.join("."), type, value: vb.value };
}

type Pdu = {
  pduType: number;
  sessionID: number;
  error?: number;
  nonRepeaters?: number;
  maxRepetitions?: number;
  searchRangeList?: { start: string; end: string | null }[];
  getResponsePduForRequest(): Pdu & { varbinds?: unknown[]; error: number; index: number };
};
type Sub = {
  socket?: Socket;
  sessionID: number;
  on(ev: string, f: (...a: never[]) => void): void;
  onMsg(b: Buffer): void;
  sendPdu(p: unknown, cb: ((e: unknown, r: Pdu) => void) | null): void;
  open(cb: (e: unknown, r: Pdu) => void): void;
  notify(oid: string, vbs: unknown[], cb?: (e: unknown, r: Pdu) => void): void;
  getRequest(p: Pdu): void;
  getNextRequest(p: Pdu): void;
  getBulkRequest(p: Pdu): void;
  testSet(p: Pdu): void;
  commitSet(p: Pdu): void;
  undoSet(p: Pdu): void;
  cleanupSet(p: Pdu): void;
};

/** A subagent session that keeps itself connected. */
export class AgentXClient {
  #sub: Sub | undefined;
  #lib: NetSnmp | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  #stopped = false;
  #connected = false;
  /** PDUs from the master that could not be parsed (dropped). */
  malformed = 0;
  /** Sessions opened so far (1 + reconnects). */
  sessions = 0;
  /** Notifications given up (queue full or too old while the master was away). */
  dropped = 0;
  readonly #queue: { oid: readonly number[]; varbinds: readonly Varbind[]; at: number }[] = [];

  constructor(readonly o: AgentXOptions) {
    this.#delay = o.retryMs?.first ?? 1000;
  }

  /** True while a session is open. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Loads the library and connects (in the background). */
  async start(): Promise<void> {
    this.#lib = await loadNetSnmp();
    this.#connect();
  }

  /**
   * Sends a notification (snmpTrapOID value and its varbinds). Before the session is open (the children
   * start with it) or while the master is away, up to QUEUE_MAX notifications wait, for QUEUE_AGE_MS at most.
   */
  notify(trapOid: readonly number[], varbinds: readonly Varbind[]): void {
    this.#queue.push({ oid: trapOid, varbinds, at: Date.now() });
    if (this.#queue.length > QUEUE_MAX) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#flush();
  }

  #flush(): void {
    const s = this.#lib, sub = this.#sub;
    if (!s || !sub || !this.#connected) return;
    const now = Date.now();
    for (const n of this.#queue.splice(0)) {
      if (now - n.at > QUEUE_AGE_MS) {
        this.dropped++;
        continue;
      }
      sub.notify(n.oid.join("."), n.varbinds.map((v) => toLib(s, v)));
    }
  }

  /** Closes the session and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#sub?.socket?.destroy();
    this.#sub = undefined;
    this.#connected = false;
  }

  #connect(): void {
    if (this.#stopped) return;
    const m = this.o.master;
    // The library connects at once: net.Socket.connect(masterPort, master) takes a path for a unix socket.
    const sub = this.#lib!.createSubagent({
      master: "path" in m ? "localhost" : m.host,
      masterPort: "path" in m ? m.path : m.port,
      description: this.o.description,
    });
    this.#sub = sub;
    this.#serve(sub);
    sub.on("error", (e: Error) => this.#lost(sub, e.message));
    sub.on("close", () => this.#lost(sub, "connection closed"));
    const sock = sub.socket!;
    sock.removeAllListeners("data");
    let buf: Buffer = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      buf = this.#frames(sub, buf);
    });
    sock.on("connect", () => this.#open(sub));
  }

  /** Hands each whole PDU in `buf` to the library; returns the incomplete rest. */
  #frames(sub: Sub, input: Buffer): Buffer {
    let buf = input;
    while (buf.length >= 20) {
      const len = buf[2]! & 0x10 ? buf.readUInt32BE(16) : buf.readUInt32LE(16);
      if (len > MAX_PDU || buf[0] !== 1) {
        this.malformed++;
        this.o.log.warn(`SNMP: malformed AgentX PDU from the master (version ${buf[0]}, length ${len}); reconnecting`);
        sub.socket?.destroy();
        return Buffer.alloc(0);
      }
      if (buf.length < 20 + len) break;
      const pdu = buf.subarray(0, 20 + len);
      buf = buf.subarray(20 + len);
      try {
        sub.onMsg(Buffer.from(pdu));
      } catch (e) {
        this.malformed++;
        this.o.log.debug(`SNMP: dropped an AgentX PDU the library cannot parse: ${(e as Error).message}`);
      }
    }
    // Keep a copy of a partial PDU: the runtime may reuse the memory of the chunk it came in.
    return buf.length ? Buffer.from(buf) : buf;
  }

  #open(sub: Sub): void {
    sub.open((_e, r) => {
      if (r.error) return this.o.log.error(`SNMP: the master agent refused our AgentX session (error ${r.error})`);
      this.#connected = true;
      this.sessions++;
      this.#delay = this.o.retryMs?.first ?? 1000;
      this.o.log.info("SNMP: AgentX subagent connected");
      for (const root of this.o.roots) this.#register(sub, root);
      this.#flush();
    });
  }

  #register(sub: Sub, root: readonly number[]): void {
    const s = this.#lib!;
    const pdu = s.AgentXPdu.createFromVariables({
      pduType: s.AgentXPduType.Register,
      sessionID: sub.sessionID,
      rangeSubid: 0,
      timeout: 5,
      priority: 127,
      oid: root.join("."),
    });
    sub.sendPdu(pdu, (_e, r) => {
      if (r.error) this.o.log.error(`SNMP: registering ${root.join(".")} failed (AgentX error ${r.error}; another agent has it?)`);
    });
  }

  #lost(sub: Sub, why: string): void {
    if (this.#sub !== sub) return;
    this.#sub = undefined;
    if (this.#connected) this.o.log.warn(`SNMP: lost the AgentX master (${why}); reconnecting`);
    this.#connected = false;
    sub.socket?.destroy();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#connect(), this.#delay);
    this.#delay = Math.min(this.#delay * 2, this.o.retryMs?.max ?? 30_000);
  }

  /** Replaces the library's MIB-tree request handlers with answers from our view. */
  #serve(sub: Sub): void {
    const T = this.#lib!.ObjectType;
    const reply = (p: Pdu, vbs: unknown[], error = 0, index = 0) => {
      const r = p.getResponsePduForRequest();
      r.varbinds = vbs;
      r.error = error;
      r.index = index;
      sub.sendPdu(r, null);
    };
    const next = (view: MibView, start: string, end: string | null) => {
      const vb = view.next(parseOid(start), false, end ? parseOid(end) : null);
      return vb ? toLib(this.#lib!, vb) : { oid: start, type: T.EndOfMibView, value: null };
    };
    sub.getRequest = (p) => {
      const view = this.o.view();
      reply(
        p,
        (p.searchRangeList ?? []).map(({ start }) => {
          const oid = parseOid(start);
          const vb = view.get(oid);
          if (vb) return toLib(this.#lib!, vb);
          return { oid: start, type: this.o.roots.some((r) => under(oid, r)) ? T.NoSuchInstance : T.NoSuchObject, value: null };
        }),
      );
    };
    sub.getNextRequest = (p) => {
      const view = this.o.view();
      reply(p, (p.searchRangeList ?? []).map(({ start, end }) => next(view, start, end)));
    };
    sub.getBulkRequest = (p) => reply(p, this.#bulk(p, next));
    sub.testSet = (p) => reply(p, [], 17, 1); // notWritable: every object here is read-only
    sub.commitSet = (p) => reply(p, []);
    sub.undoSet = (p) => reply(p, []);
    sub.cleanupSet = () => undefined;
  }

  /** GetBulk (RFC 2741 §7.2.3.3): non-repeaters once, then the repeaters interleaved. */
  #bulk(p: Pdu, next: (v: MibView, s: string, e: string | null) => { oid: string; type: number; value: unknown }): unknown[] {
    const view = this.o.view();
    const ranges = p.searchRangeList ?? [];
    const nonRep = Math.min(p.nonRepeaters ?? 0, ranges.length);
    const out = ranges.slice(0, nonRep).map((r) => next(view, r.start, r.end));
    let cur = ranges.slice(nonRep).map((r) => ({ start: r.start, end: r.end }));
    const EOM = this.#lib!.ObjectType.EndOfMibView;
    for (let i = 0; i < (p.maxRepetitions ?? 0) && cur.length > 0; i++) {
      const row = cur.map((r) => next(view, r.start, r.end));
      out.push(...row);
      if (row.every((v) => v.type === EOM)) break;
      cur = cur.map((r, j) => ({ start: row[j]!.oid, end: r.end }));
    }
    return out;
  }
}
