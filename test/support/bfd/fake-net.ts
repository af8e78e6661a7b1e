/**
 * Test harness: BFD runtimes joined by a fake network on one FakeScheduler. A sender's packets reach the
 * runtime that owns the path's neighbor address one millisecond later, with the TTL reduced by `hops`.
 */
import type { BfdInstance } from "../../../src/config/model.ts";
import { type Logger, nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { BfdState } from "../../../src/proto/bfd.ts";
import { BfdRuntime } from "../../../src/bfd/runtime.ts";
import type { BfdPath } from "../../../src/bfd/demux.ts";
import type { BfdDatagram, BfdSender, BfdTransport } from "../../../src/bfd/transport.ts";
import { seededFloats } from "../random.ts";

/** A bfd_instance with keepalived's defaults, overridable. */
export function instance(name: string, neighborIp: string, over: Partial<BfdInstance> = {}): BfdInstance {
  return {
    name,
    neighborIp,
    sourceIp: null,
    minRxMs: 10,
    minTxMs: 10,
    idleTxMs: 1000,
    multiplier: 5,
    passive: false,
    ttl: 255,
    maxHops: 0,
    multihop: false,
    weight: 0,
    weightReverse: false,
    toVrrp: true,
    toChecker: true,
    src: { file: "test.conf", line: 1 },
    ...over,
  } as BfdInstance;
}

/** One node: an address and a runtime, plus what it reported. */
export interface Node {
  addr: string;
  rt: BfdRuntime;
  reports: { name: string; state: BfdState }[];
  /** Packets this node sent, raw. */
  sent: Uint8Array[];
}

/** The fake network. */
export class FakeNet {
  readonly sched = new FakeScheduler(1000);
  readonly nodes = new Map<string, Node>();
  /** TTL reduction in transit. */
  hops = 0;
  /** Addresses whose packets are dropped. */
  readonly cut = new Set<string>();

  /** Adds a node with address `addr`. */
  node(addr: string, log: Logger = nullLogger, seed = 7): Node {
    // The runtime's callbacks only run once it is started, when `n` is complete.
    const n: Node = {
      addr,
      reports: [],
      sent: [],
      rt: new BfdRuntime({
        scheduler: this.sched,
        log,
        rand: seededFloats(seed),
        transport: () => this.#transport(n),
        notify: (name, state) => n.reports.push({ name, state }),
      }),
    };
    this.nodes.set(addr, n);
    return n;
  }

  #transport(n: Node): BfdTransport {
    return {
      sendErrors: 0,
      open: (path: BfdPath): BfdSender => ({
        sourcePort: 49152,
        close: () => {},
        send: (bytes) => {
          n.sent.push(bytes);
          if (this.cut.has(n.addr)) return;
          const to = this.nodes.get(path.peer);
          const d: BfdDatagram = {
            data: bytes,
            arrival: { peer: n.addr, local: path.peer, multihop: path.multihop, ttl: path.ttl - this.hops },
          };
          if (to) this.sched.after(1, () => to.rt.receive(d));
        },
      }),
      close: () => {},
    };
  }

  /** Delivers a datagram to `to` as if it came from `from`. */
  inject(to: string, from: string, data: Uint8Array, over: Partial<BfdDatagram["arrival"]> = {}): void {
    this.nodes.get(to)!.rt.receive({
      data,
      arrival: { peer: from, local: to, multihop: false, ttl: 255, ...over },
    });
  }

  /** Advances fake time in 1 ms steps until `pred` holds; throws after `maxMs`. */
  until(pred: () => boolean, maxMs = 30_000): void {
    for (let t = 0; t < maxMs; t++) {
      if (pred()) return;
      this.sched.advance(1);
    }
    if (!pred()) throw new Error(`condition not reached within ${maxMs} ms of fake time`);
  }
}
