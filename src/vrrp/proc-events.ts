/**
 * Processes for vrrp_track_process, kept up to date from the kernel's process connector as keepalived
 * does (linux/cn_proc.h): one /proc scan at start, then fork / exec / comm / exit events change single
 * entries. The connector answers only in the initial network namespace: inside another one the listen
 * request is refused (ECONNREFUSED; keepalived 2.2.7 then logs "Failed to set/clear process event listen"
 * and tracks nothing). There, and wherever it cannot be opened (no CONFIG_PROC_EVENTS, no CAP_NET_ADMIN), the owner
 * falls back to scanning /proc once a second; when the socket overflows, the table is scanned again.
 */
import { readFileSync } from "node:fs";
import { NETLINK_CONNECTOR } from "../ffi/netlink.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { AF_NETLINK, sockaddrNl } from "../ffi/sockaddr.ts";
import { SO_RCVBUF, SO_RCVBUFFORCE, SOCK_DGRAM, Socket, SOL_SOCKET } from "../ffi/socket.ts";
import type { RcvBufSetting } from "../config/rx-bufs.ts";
import { CN_IDX_PROC, encodeListen, parseProcEvents, type ProcEvent } from "../proto/proc-connector.ts";
import type { ProcInfo } from "./track-process.ts";
import { RxPump } from "../core/rx-pump.ts";

/**
 * While events keep coming, the connector socket is read on a timer (RxPump) with this period, ms. The
 * poll is a coarse timer (Bun's, whose delay is truncated to whole ms, and run up to 1 ms early), so 3
 * reads every 2-3 ms: what the 2 ms hold of its urgent fd gave. A period of 2 read every ~1.4 ms (~700
 * wakes/s instead of ~400 with 2,000 process starts/s: bench/RESULTS.md, "issue 12, review").
 */
const POLL_MS = 3;

/** Reads one process from /proc, or undefined when it is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return { pid, comm, argv };
  } catch {
    return undefined;
  }
}

/** A process entry that changed: before and after (undefined: not there). */
export interface ProcChange {
  before: ProcInfo | undefined;
  after: ProcInfo | undefined;
}

/** The processes by tgid, changed one event at a time. */
export class ProcTable {
  readonly procs = new Map<number, ProcInfo>();

  constructor(readonly read: (pid: number) => ProcInfo | undefined = readProc) {}

  /** Replaces the table with a full scan. */
  load(list: readonly ProcInfo[]): void {
    this.procs.clear();
    for (const p of list) this.procs.set(p.pid, p);
  }

  /** Applies one event; returns the entry's change, or undefined when nothing a tracker sees changed. */
  apply(e: ProcEvent): ProcChange | undefined {
    if (e.kind === "fork") {
      if (e.childPid !== e.childTgid) return undefined; // a new thread, not a process
      const parent = this.procs.get(e.parentTgid);
      const after = parent ? { ...parent, pid: e.childTgid } : this.read(e.childTgid);
      return this.#set(e.childTgid, after);
    }
    if (e.pid !== e.tgid) return undefined; // a thread's exec/comm/exit: the process is unchanged
    if (e.kind === "exit") return this.#set(e.tgid, undefined);
    if (e.kind === "comm") {
      const cur = this.procs.get(e.tgid);
      return this.#set(e.tgid, cur ? { ...cur, comm: e.comm } : this.read(e.tgid));
    }
    return this.#set(e.tgid, this.read(e.tgid));
  }

  #set(pid: number, after: ProcInfo | undefined): ProcChange | undefined {
    const before = this.procs.get(pid);
    if (!before && !after) return undefined;
    if (after) this.procs.set(pid, after);
    else this.procs.delete(pid);
    return { before, after };
  }
}

/** The connector socket: delivers decoded events, or `overflow()` when some were lost. */
export class ProcConnector {
  readonly #sock: Socket;
  readonly #pump: RxPump;
  #closed = false;

  /** Opens and subscribes; throws when the kernel refuses (the caller falls back to scanning). */
  constructor(
    watcher: FdWatcher,
    sched: Scheduler,
    onEvents: (e: ProcEvent[]) => void,
    overflow: () => void,
    rcvBuf: RcvBufSetting = { bytes: 1 << 20, force: false },
  ) {
    this.#sock = new Socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR, 1 << 16);
    try {
      this.setRcvBuf(rcvBuf);
      this.#sock.bind(sockaddrNl(0, CN_IDX_PROC));
      const local = this.#sock.localAddress();
      this.#sock.sendTo(encodeListen(1, "pid" in local ? local.pid : 0), sockaddrNl(0, 0));
    } catch (e) {
      this.#sock.close();
      throw e;
    }
    // A lone event is read at once; while they keep coming the socket is read every POLL_MS instead (one
    // wake per message would cost twice the CPU with ~1,000 process starts a second on the host:
    // bench/RESULTS.md, the VRRP child on SIGIO).
    this.#pump = new RxPump(
      this.#sock.fd,
      () => {
        const events: ProcEvent[] = [];
        let n = 0;
        try {
          for (let d = this.#sock.recv(); d; d = this.#sock.recv()) {
            n++;
            events.push(...parseProcEvents(d.data));
          }
        } catch {
          // ENOBUFS: the kernel dropped events; what is queued after this is current again.
          if (events.length) onEvents(events);
          overflow();
          return n + 1;
        }
        if (events.length) onEvents(events);
        return n;
      },
      watcher,
      sched,
      POLL_MS,
    );
  }

  /**
   * process_monitor_rcv_bufs[_force]: SO_RCVBUFFORCE when forced (falling back to SO_RCVBUF without
   * CAP_NET_ADMIN), else SO_RCVBUF; a refusal leaves the kernel's default, which still works.
   */
  setRcvBuf(b: RcvBufSetting): void {
    if (b.force) {
      try {
        return this.#sock.setInt(SOL_SOCKET, SO_RCVBUFFORCE, b.bytes);
      } catch { /* as far as rmem_max */ }
    }
    try {
      this.#sock.setInt(SOL_SOCKET, SO_RCVBUF, b.bytes);
    } catch { /* the default buffer still works */ }
  }

  /** The receive buffer the kernel keeps (twice what was set). */
  rcvBuf(): number {
    return this.#sock.getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /** Unsubscribes and closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pump.close();
    this.#sock.close();
  }
}
