/**
 * Follows when an address comes and goes in a namespace, from `ip -ts monitor address` (the kernel's own
 * RTM_NEWADDR / RTM_DELADDR events with ip's timestamps), so a test can tell how long two routers held a
 * VIP together without polling. `overlaps` turns two histories into the intervals both held it.
 */
import type { Subprocess } from "bun";
import type { Netns } from "./netns.ts";

/** One change of the address: held from `at` (ms since the epoch) or not. */
export interface VipChange {
  at: number;
  held: boolean;
}

/** The history of one address in one namespace. */
export class VipMonitor {
  readonly changes: VipChange[] = [];
  readonly #proc: Subprocess;

  /** Starts following `address` (as `ip` prints it, with its prefix: "192.0.2.100/24"); `held` now. */
  constructor(ns: Netns, readonly address: string, held: boolean) {
    this.changes.push({ at: Date.now(), held });
    this.#proc = ns.spawn(["ip", "-ts", "monitor", "address"], { stdout: "pipe" });
    const r = (this.#proc.stdout as ReadableStream<Uint8Array>).getReader();
    let buf = "";
    void (async () => {
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.#line(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
    })();
  }

  #line(line: string): void {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?\d+: \S+\s+inet6? (\S+) /.exec(line);
    if (!m || m[3] !== this.address) return;
    const at = Date.parse(m[1]!.slice(0, 23)); // ip prints local time, as Date.parse reads it
    this.changes.push({ at, held: !m[2] });
  }

  /** Whether the address is held according to the events so far. */
  get held(): boolean {
    return this.changes.at(-1)!.held;
  }

  /** Stops following. */
  stop(): void {
    this.#proc.kill("SIGTERM");
  }
}

/** The intervals [from, to] (ms) in which both histories held the address, up to `until`. */
export function overlaps(a: readonly VipChange[], b: readonly VipChange[], until = Date.now()): [number, number][] {
  const events = [...a.map((c) => ({ ...c, who: 0 })), ...b.map((c) => ({ ...c, who: 1 }))].sort((x, y) => x.at - y.at);
  const held = [false, false];
  const out: [number, number][] = [];
  let since = -1;
  for (const e of events) {
    held[e.who] = e.held;
    const both = held[0]! && held[1]!;
    if (both && since < 0) since = e.at;
    if (!both && since >= 0) {
      out.push([since, e.at]);
      since = -1;
    }
  }
  if (since >= 0) out.push([since, until]);
  return out;
}
