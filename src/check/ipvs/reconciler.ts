/**
 * The only writer of IPVS (keepalived's check process role for virtual_server / real_server): applies
 * the operations diff.ts computes to an IpvsKernel, and keeps a model of what it owns so that checker
 * transitions (a real server up or down, a weight change) cost no kernel read.
 *   sync(desired)   at start-up and on reload: reads the kernel, adopts what matches, fixes the rest;
 *   update(desired) after checker transitions: diffs against the model only.
 * A refused operation is reported and left out of the model, so the next update or sync retries it.
 * Ownership follows diff.ts: services desired now or applied before; after a restart nothing is
 * "applied before", so a service that an older configuration created and the new one dropped stays.
 */
import { describeOp, diffIpvs, type IpvsEntry, type IpvsOp, type IpvsTable, ownedKeys } from "./diff.ts";
import { destKey, type IpvsDest, type IpvsKernel, type IpvsService, serviceKey } from "./kernel.ts";

/** What applying a list of operations did. */
export interface ApplyResult {
  /** Operations the kernel accepted, in order. */
  applied: IpvsOp[];
  /** Operations it refused (or that were not tried because their service could not be added). */
  failed: { op: IpvsOp; error: string }[];
}

/**
 * Runs a list of operations on `kernel` a part at a time: a failure does not stop the others (destinations
 * of a failed new service are skipped). `step(max)` runs at most `max` more of them.
 */
export class OpStepper {
  readonly res: ApplyResult = { applied: [], failed: [] };
  #notAdded = new Set<string>();
  #next = 0;
  constructor(readonly kernel: IpvsKernel, readonly ops: readonly IpvsOp[]) {}

  /** True when every operation has been tried. */
  get done(): boolean {
    return this.#next >= this.ops.length;
  }

  /** Tries up to `max` more operations; `applied(op)` hears of each one the kernel accepted. */
  step(max: number, applied: (o: IpvsOp) => void = () => {}): void {
    const end = Math.min(this.ops.length, this.#next + max);
    for (; this.#next < end; this.#next++) {
      const o = this.ops[this.#next]!;
      const skip = this.#notAdded.size > 0 && (o.op === "addDest" || o.op === "editDest") && this.#notAdded.has(serviceKey(o.key));
      if (skip) {
        this.res.failed.push({ op: o, error: "its virtual server could not be added" });
        continue;
      }
      try {
        runOp(this.kernel, o);
        this.res.applied.push(o);
      } catch (e) {
        if (o.op === "addService") this.#notAdded.add(serviceKey(o.service));
        this.res.failed.push({ op: o, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      applied(o);
    }
  }
}

/** Runs each operation on `kernel`; a failure does not stop the others (destinations of a failed new service are skipped). */
export function applyIpvsOps(kernel: IpvsKernel, ops: readonly IpvsOp[]): ApplyResult {
  const s = new OpStepper(kernel, ops);
  s.step(ops.length);
  return s.res;
}

function runOp(k: IpvsKernel, o: IpvsOp): void {
  switch (o.op) {
    case "addService":
      return k.addService(o.service);
    case "editService":
      return k.editService(o.service);
    case "delService":
      return k.delService(o.key);
    case "addDest":
      return k.addDest(o.key, o.dest);
    case "editDest":
      return k.editDest(o.key, o.dest);
    case "delDest":
      return k.delDest(o.key, o.dest);
  }
}

/** Reads services (and their destinations) from the kernel; `want(key)` limits which ones are read. */
export function readIpvsTable(
  kernel: IpvsKernel,
  want: (serviceKey: string) => boolean = () => true,
): IpvsEntry[] {
  const out: IpvsEntry[] = [];
  for (const s of kernel.getServices()) {
    if (!want(serviceKey(s))) continue;
    out.push({ service: s, dests: kernel.getDests(s) });
  }
  return out;
}

/** A sync or update in progress (IpvsReconciler.begin). */
export interface ReconcileRun {
  /** True when every operation has been tried (finish() still settles ownership and the model). */
  readonly done: boolean;
  /** Tries up to `max` more operations, each accepted one logged and put in the model. */
  step(max: number): void;
  /** Tries the rest, logs the refused ones and settles what is owned; the run's result. */
  finish(): ApplyResult;
}

/** Where the reconciler reports operations (src/core/log.ts Logger fits). */
export interface IpvsLog {
  info(msg: string): void;
  error(msg: string): void;
}

/** A log that drops everything. */
export const silentIpvsLog: IpvsLog = { info() {}, error() {} };

type Model = Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }>;

/** Applies an accepted operation to the model of the kernel's owned table. */
function applyToModel(m: Model, o: IpvsOp): void {
  switch (o.op) {
    case "addService":
      m.set(serviceKey(o.service), { service: o.service, dests: new Map() });
      return;
    case "editService": {
      const e = m.get(serviceKey(o.service));
      if (e) e.service = o.service;
      return;
    }
    case "delService":
      m.delete(serviceKey(o.key));
      return;
    case "addDest":
    case "editDest":
      m.get(serviceKey(o.key))?.dests.set(destKey(o.dest), o.dest);
      return;
    case "delDest":
      m.get(serviceKey(o.key))?.dests.delete(destKey(o.dest));
  }
}

/** Keeps the kernel's IPVS table equal to the desired one for the services it owns. */
export class IpvsReconciler {
  #owned = new Set<string>();
  #model: Model = new Map();
  #needsSync = false;

  /** `log` receives one line per operation applied (info) or refused (error). */
  constructor(readonly kernel: IpvsKernel, readonly log: IpvsLog = silentIpvsLog) {}

  /** Service keys currently owned (desired at the last sync/update, plus removals that failed). */
  get owned(): ReadonlySet<string> {
    return this.#owned;
  }

  /** True when the last sync/update had a refused operation: the model may be wrong, call sync(). */
  get needsSync(): boolean {
    return this.#needsSync;
  }

  /** The model of the owned part of the kernel table (after the last sync/update). */
  model(): IpvsTable {
    return [...this.#model.values()].map((e) => ({ service: e.service, dests: [...e.dests.values()] }));
  }

  /** Reads the owned and desired services from the kernel, then makes them match `desired`. */
  sync(desired: IpvsTable): ApplyResult {
    return this.begin(desired, true).finish();
  }

  /** Makes the kernel match `desired`, diffing against the model only (no kernel read). */
  update(desired: IpvsTable): ApplyResult {
    return this.begin(desired, false).finish();
  }

  /**
   * sync (`read`: the kernel is read first) or update as a run applied a part at a time (`step`), so a
   * long list of operations (the first table of 10,000 real servers) need not run in one turn of the loop.
   * The model follows each step; while the run lasts the services of `desired` count as owned too, so a
   * cleanup in between removes what it added. Another begin() abandons what is left of this run.
   */
  begin(desired: IpvsTable, read: boolean): ReconcileRun {
    const actual = read ? this.#readModel(desired) : this.model();
    const stepper = new OpStepper(this.kernel, diffIpvs(desired, actual, this.#owned));
    const wanted = ownedKeys(desired);
    for (const k of this.#owned) wanted.add(k);
    const owned = ownedKeys(desired);
    this.#owned = wanted;
    const applied = (o: IpvsOp) => {
      applyToModel(this.#model, o);
      this.log.info(`IPVS ${describeOp(o)}: ${o.why}`);
    };
    return {
      get done() {
        return stepper.done;
      },
      step: (max) => stepper.step(max, applied),
      finish: () => {
        stepper.step(Infinity, applied);
        return this.#finish(stepper.res, owned);
      },
    };
  }

  #readModel(desired: IpvsTable): IpvsTable {
    const wanted = ownedKeys(desired);
    const actual = readIpvsTable(this.kernel, (k) => wanted.has(k) || this.#owned.has(k));
    this.#model = new Map();
    for (const e of actual) {
      this.#model.set(serviceKey(e.service), {
        service: e.service,
        dests: new Map(e.dests.map((d) => [destKey(d), d])),
      });
    }
    return actual;
  }

  #finish(res: ApplyResult, owned: Set<string>): ApplyResult {
    for (const f of res.failed) {
      this.log.error(`IPVS ${describeOp(f.op)} failed: ${f.error}`);
      if (f.op.op === "delService") owned.add(serviceKey(f.op.key));
    }
    // A service no longer desired whose deletion succeeded has left the model; keep the model to owned keys.
    for (const k of this.#model.keys()) if (!owned.has(k)) this.#model.delete(k);
    this.#owned = owned;
    this.#needsSync = res.failed.length > 0;
    return res;
  }
}
