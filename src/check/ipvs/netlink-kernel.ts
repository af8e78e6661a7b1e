/**
 * IpvsKernel over generic netlink (Linux UAPI linux/ip_vs.h, the interface ipvsadm(8) uses): resolves
 * the "IPVS" family with CTRL_CMD_GETFAMILY, then sends one request per operation with the codec in
 * src/proto/ipvs.ts and decodes replies with src/proto/ipvs-parse.ts. Kernel refusals become IpvsError.
 */
import { NETLINK_GENERIC, NetlinkError, NetlinkSocket } from "../../ffi/netlink.ts";
import { encodeGetFamily, parseFamily } from "../../proto/genl.ts";
import {
  encodeIpvsDelDaemon,
  encodeIpvsDelDest,
  encodeIpvsDelService,
  encodeIpvsFlush,
  encodeIpvsGetConfig,
  encodeIpvsGetDaemon,
  encodeIpvsGetDests,
  encodeIpvsGetService,
  encodeIpvsNewDaemon,
  encodeIpvsNewDest,
  encodeIpvsNewService,
  encodeIpvsSetConfig,
  encodeIpvsSetDest,
  encodeIpvsSetService,
  IPVS_GENL_NAME,
} from "../../proto/ipvs.ts";
import { parseIpvsConfig, parseIpvsDaemon, parseIpvsDest, parseIpvsService } from "../../proto/ipvs-parse.ts";
import type { NlMessage } from "../../proto/netlink.ts";
import type { Result } from "../../proto/result.ts";
import {
  ERRNO,
  type IpvsDaemon,
  type IpvsDest,
  IpvsError,
  type IpvsKernel,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsTimeouts,
  keyOf,
  serviceKey,
} from "./kernel.ts";

/** What the kernel implementation needs from a netlink socket (NetlinkSocket has it; tests pass a fake). */
export interface NlTransport {
  nextSeq(): number;
  request(msg: Uint8Array, seq: number, what: string): NlMessage[];
  close(): void;
  /** SO_RCVBUF, or SO_RCVBUFFORCE when `force` (absent on fakes). */
  setRcvBuf?(bytes: number, force: boolean): void;
}

/** The IPVS socket's receive buffer unless lvs_netlink_cmd_rcv_bufs says otherwise: 1 MiB, forced. */
export const IPVS_RCVBUF = { bytes: 1 << 20, force: true } as const;

/** Options for opening the real kernel. */
export interface OpenOptions {
  /** Run `modprobe ip_vs` once when the IPVS family is missing (keepalived does). @default true */
  modprobe?: boolean;
}

/** The generic netlink id of the IPVS family, or IpvsError ENOENT when ip_vs is not loaded. */
export function resolveIpvsFamily(t: NlTransport): number {
  const seq = t.nextSeq();
  let replies: NlMessage[];
  try {
    replies = t.request(encodeGetFamily(IPVS_GENL_NAME, seq), seq, "CTRL_CMD_GETFAMILY IPVS");
  } catch (e) {
    if (e instanceof NetlinkError) {
      throw new IpvsError(
        e.errno,
        "resolve family",
        "generic netlink family IPVS not found: is the ip_vs module loaded?",
      );
    }
    throw e;
  }
  for (const r of replies) {
    const f = parseFamily(r);
    if (f.ok) return f.value.id;
  }
  throw new IpvsError(ERRNO.ENOENT, "resolve family", "no CTRL_CMD_NEWFAMILY reply for IPVS");
}

/** IPVS through a generic netlink socket. */
export class NetlinkIpvsKernel implements IpvsKernel {
  /** Opens a NETLINK_GENERIC socket and resolves the IPVS family (loading ip_vs first if asked). */
  static open(opts: OpenOptions = {}): NetlinkIpvsKernel {
    const sock = new NetlinkSocket(NETLINK_GENERIC, 0, IPVS_RCVBUF.bytes);
    try {
      let family: number;
      try {
        family = resolveIpvsFamily(sock);
      } catch (e) {
        if (!(e instanceof IpvsError) || opts.modprobe === false) throw e;
        Bun.spawnSync(["modprobe", "ip_vs"], { stdout: "ignore", stderr: "ignore" });
        family = resolveIpvsFamily(sock);
      }
      return new NetlinkIpvsKernel(sock, family);
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** `family` is the id resolveIpvsFamily returned for this transport's kernel. */
  constructor(readonly transport: NlTransport, readonly family: number) {}

  /**
   * One request. `what` names it in errors; as a function it is only called for one (a flush of 10,000
   * real servers would otherwise build 10,000 names nobody reads).
   */
  #do(what: string | (() => string), build: (family: number, seq: number) => Uint8Array): NlMessage[] {
    const seq = this.transport.nextSeq();
    try {
      return this.transport.request(build(this.family, seq), seq, typeof what === "string" ? `IPVS ${what}` : "IPVS request");
    } catch (e) {
      if (e instanceof NetlinkError) {
        const w = typeof what === "string" ? what : what();
        throw new IpvsError(e.errno, w, typeof what === "string" ? e.message : e.message.replace("IPVS request", `IPVS ${w}`));
      }
      throw e;
    }
  }

  #decode<T>(what: string, replies: NlMessage[], parse: (m: NlMessage) => Result<T>): T[] {
    return replies.map((r) => {
      const v = parse(r);
      if (!v.ok) throw new IpvsError(ERRNO.EINVAL, what, `undecodable reply: ${v.reason}`);
      return v.value;
    });
  }

  /** GET_SERVICE dump. */
  getServices(): IpvsService[] {
    return this.#decode(
      "getServices",
      this.#do("getServices", (f, s) => encodeIpvsGetService(f, s)),
      parseIpvsService,
    );
  }

  /** GET_DEST dump for one service. */
  getDests(svc: IpvsServiceKey): IpvsDest[] {
    const what = `getDests ${serviceKey(svc)}`;
    const replies = this.#do(what, (f, s) => encodeIpvsGetDests(f, s, keyOf(svc)));
    return this.#decode(what, replies, (m) => parseIpvsDest(m, svc.af)).map((e) => e.dest);
  }

  /** NEW_SERVICE. */
  addService(svc: IpvsService): void {
    this.#do(() => `addService ${serviceKey(svc)}`, (f, s) => encodeIpvsNewService(f, s, svc));
  }

  /** SET_SERVICE. */
  editService(svc: IpvsService): void {
    this.#do(() => `editService ${serviceKey(svc)}`, (f, s) => encodeIpvsSetService(f, s, svc));
  }

  /** DEL_SERVICE. */
  delService(svc: IpvsServiceKey): void {
    this.#do(() => `delService ${serviceKey(svc)}`, (f, s) => encodeIpvsDelService(f, s, keyOf(svc)));
  }

  /** NEW_DEST. */
  addDest(svc: IpvsServiceKey, dest: IpvsDest): void {
    this.#do(
      () => `addDest ${serviceKey(svc)} ${dest.addr}:${dest.port}`,
      (f, s) => encodeIpvsNewDest(f, s, keyOf(svc), dest),
    );
  }

  /** SET_DEST. */
  editDest(svc: IpvsServiceKey, dest: IpvsDest): void {
    this.#do(
      () => `editDest ${serviceKey(svc)} ${dest.addr}:${dest.port}`,
      (f, s) => encodeIpvsSetDest(f, s, keyOf(svc), dest),
    );
  }

  /** DEL_DEST. */
  delDest(svc: IpvsServiceKey, dest: Pick<IpvsDest, "addr" | "port" | "addrFamily">): void {
    const d = dest.addrFamily === undefined ? { addr: dest.addr, port: dest.port } : { addr: dest.addr, port: dest.port, addrFamily: dest.addrFamily };
    this.#do(
      () => `delDest ${serviceKey(svc)} ${dest.addr}:${dest.port}`,
      (f, s) => encodeIpvsDelDest(f, s, keyOf(svc), d),
    );
  }

  /** FLUSH. */
  flush(): void {
    this.#do("flush", (f, s) => encodeIpvsFlush(f, s));
  }

  /** SET_CONFIG. */
  setTimeouts(t: IpvsTimeouts): void {
    this.#do("setTimeouts", (f, s) => encodeIpvsSetConfig(f, s, t));
  }

  /** GET_CONFIG. */
  getTimeouts(): IpvsTimeouts {
    const got = this.#decode(
      "getTimeouts",
      this.#do("getTimeouts", (f, s) => encodeIpvsGetConfig(f, s)),
      parseIpvsConfig,
    );
    if (!got[0]) throw new IpvsError(ERRNO.EINVAL, "getTimeouts", "no reply");
    return got[0];
  }

  /** NEW_DAEMON. */
  startSyncDaemon(d: IpvsDaemon): void {
    this.#do(`startSyncDaemon ${d.mcastIfn}`, (f, s) => encodeIpvsNewDaemon(f, s, d));
  }

  /** DEL_DAEMON. */
  stopSyncDaemon(state: number): void {
    this.#do(`stopSyncDaemon ${state}`, (f, s) => encodeIpvsDelDaemon(f, s, state));
  }

  /** GET_DAEMON dump. */
  getSyncDaemons(): IpvsDaemon[] {
    return this.#decode(
      "getSyncDaemons",
      this.#do("getSyncDaemons", (f, s) => encodeIpvsGetDaemon(f, s)),
      parseIpvsDaemon,
    );
  }

  /** Closes the socket. */
  close(): void {
    this.transport.close();
  }
}
