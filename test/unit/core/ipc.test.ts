import { describe, expect, test } from "bun:test";
import { decode, envelope, IpcError, IPC_VERSION } from "../../../src/core/ipc.ts";

describe("IPC envelope", () => {
  test("round trips every message kind through JSON", () => {
    const msgs = [
      { type: "config", generation: 3, reload: true, slice: { a: [1, 2] } },
      { type: "dump", kind: "stats" },
      { type: "ready", role: "vrrp", generation: 0 },
      { type: "fatal", role: "check", reason: "no ipvs" },
      { type: "bfdState", name: "b1", state: "Up", at: 12 },
      { type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100, effectivePriority: 110 },
      { type: "stats", role: "bfd", stats: { sessions: 2 } },
      { type: "vsState", vs: "[192.0.2.1]:80", state: "UP", initial: true },
    ] as const;
    for (const m of msgs) expect(decode(JSON.parse(JSON.stringify(envelope(m))))).toEqual(m);
  });
  test("rejects wrong version, unknown type, bad fields and enums", () => {
    const bad = [
      null, 7, { v: IPC_VERSION + 1, msg: { type: "dump", kind: "data" } }, { v: IPC_VERSION },
      { v: IPC_VERSION, msg: { type: "nope" } },
      { v: IPC_VERSION, msg: { type: "ready", role: "vrrp", generation: "1" } },
      { v: IPC_VERSION, msg: { type: "ready", role: "dns", generation: 1 } },
      { v: IPC_VERSION, msg: { type: "dump", kind: "everything" } },
      { v: IPC_VERSION, msg: { type: "config", generation: 1, reload: false } },
      { v: IPC_VERSION, msg: { type: "vsState", vs: "x", state: "UP", initial: "yes" } },
    ];
    for (const b of bad) expect(() => decode(b)).toThrow(IpcError);
  });
});
