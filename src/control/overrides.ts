/**
 * Operator overrides of real servers (`keepalived ctl drain|undrain|weight`, docs/control.md), held by
 * the parent so they survive a restart of the check child. Two layers: run-time overrides last until
 * the next reload; persisted ones (`--persist`) are also written to the state file
 * (control-state.json beside the control socket) and reapplied at every start and after every reload,
 * until removed with `--persist` again. Keys are `VS|RS` display names (src/alert/names.ts).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ChildCommand } from "../core/control-proto.ts";

/** One layer of overrides. */
interface Layer {
  drained: Set<string>;
  weights: Map<string, number>;
}

const empty = (): Layer => ({ drained: new Set(), weights: new Map() });

/** The state file of a control socket at `socketPath`. */
export function stateFilePath(socketPath: string): string {
  return join(dirname(socketPath), `${basename(socketPath).replace(/\.sock$/, "")}-state.json`);
}

/** Run-time and persisted overrides. */
export class Overrides {
  #runtime = empty();
  #persisted = empty();

  constructor(readonly file: string | null) {}

  /** Reads the state file; returns a problem to log, or undefined (a missing file is no problem). */
  load(): string | undefined {
    if (!this.file || !existsSync(this.file)) return undefined;
    try {
      const o = JSON.parse(readFileSync(this.file, "utf8")) as { v?: unknown; drained?: unknown; weights?: unknown };
      if (o.v !== 1 || !Array.isArray(o.drained) || typeof o.weights !== "object" || o.weights === null) {
        return `${this.file}: not a version 1 state file; ignored`;
      }
      const l = empty();
      for (const k of o.drained) if (typeof k === "string") l.drained.add(k);
      for (const [k, w] of Object.entries(o.weights)) if (Number.isInteger(w) && (w as number) >= 0) l.weights.set(k, w as number);
      this.#persisted = l;
      return undefined;
    } catch (e) {
      return `${this.file}: ${(e as Error).message}; ignored`;
    }
  }

  #layers(persist: boolean): Layer[] {
    return persist ? [this.#runtime, this.#persisted] : [this.#runtime];
  }

  /** drain (true) or undrain (false) `keys`. An undrain clears both layers for those keys. */
  setDrained(keys: readonly string[], on: boolean, persist: boolean): void {
    for (const l of on ? this.#layers(persist) : [this.#runtime, this.#persisted]) {
      for (const k of keys) on ? l.drained.add(k) : l.drained.delete(k);
    }
    if (persist || !on) this.#save();
  }

  /** Sets (or with null removes) the weight override of `keys`. Removal clears both layers. */
  setWeight(keys: readonly string[], weight: number | null, persist: boolean): void {
    for (const l of weight === null ? [this.#runtime, this.#persisted] : this.#layers(persist)) {
      for (const k of keys) weight === null ? l.weights.delete(k) : l.weights.set(k, weight);
    }
    if (persist || weight === null) this.#save();
  }

  /** A reload: run-time overrides end, persisted ones stay. */
  reloaded(): void {
    this.#runtime = empty();
  }

  /** The complete set in force, as the check child takes it. */
  command(): Extract<ChildCommand, { op: "overrides" }> {
    const drained = new Set([...this.#persisted.drained, ...this.#runtime.drained]);
    const weights = Object.fromEntries([...this.#persisted.weights, ...this.#runtime.weights]);
    return { op: "overrides", drained: [...drained].sort(), weights };
  }

  /** What is persisted (for status). */
  persisted(): { drained: string[]; weights: Record<string, number> } {
    return { drained: [...this.#persisted.drained].sort(), weights: Object.fromEntries(this.#persisted.weights) };
  }

  #save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 1, ...this.persisted() }, null, 1) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
