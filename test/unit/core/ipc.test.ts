import { describe, expect, test } from "bun:test";
import {
  BFD_STATE_NAMES,
  decode,
  DUMP_KINDS,
  envelope,
  IPC_VERSION,
  IpcError,
  IpcReceiver,
  type Message,
  SERVER_STATE_NAMES,
  VRRP_STATE_NAMES,
} from "../../../src/core/ipc.ts";
import { ROLES } from "../../../src/core/role.ts";
import { sliceFor } from "../../../src/config/slice.ts";
import { instance, loadText } from "../../support/config/helpers.ts";

const env = (msg: Record<string, unknown>) => ({ v: IPC_VERSION, msg });
const slice = JSON.parse(JSON.stringify(sliceFor(loadText(instance("")).config, "vrrp")));

/** A valid message of every type, each enum-valued field set. */
const VALID: Message[] = [
  { type: "config", generation: 3, reload: true, slice },
  { type: "dump", kind: "stats" },
  { type: "ready", role: "vrrp", generation: 0 },
  { type: "fatal", role: "check", reason: "no ipvs" },
  { type: "bfdState", name: "b1", state: "Up", at: 12 },
  { type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100, effectivePriority: 110 },
  { type: "garp", instance: "VI_1" },
  { type: "rsState", vs: "[192.0.2.1]:80", rs: "[198.51.100.5]:8080", state: "DOWN", weight: 0 },
  { type: "vsState", vs: "[192.0.2.1]:80", state: "UP", initial: true },
  {
    type: "metrics",
    role: "bfd",
    samples: [{ name: "x_total", help: "x", type: "counter", labels: { a: "b" }, value: 1 }],
  },
  { type: "ctlReply", id: 4, ok: false, message: "refused" },
];

/** Every enum-valued field: the message it is in, and the values it may take. */
const ENUM_FIELDS: [Message, string, readonly string[]][] = [
  [VALID[1]!, "kind", DUMP_KINDS],
  [VALID[2]!, "role", ROLES],
  [VALID[3]!, "role", ROLES],
  [VALID[4]!, "state", BFD_STATE_NAMES],
  [VALID[5]!, "state", VRRP_STATE_NAMES],
  [VALID[7]!, "state", SERVER_STATE_NAMES],
  [VALID[8]!, "state", SERVER_STATE_NAMES],
  [VALID[9]!, "role", ROLES],
];

describe("IPC envelope", () => {
  test("round trips every message kind through JSON", () => {
    for (const m of VALID) expect(decode(JSON.parse(JSON.stringify(envelope(m))))).toEqual(m);
  });

  test("every value of every enum-valued field is accepted; any other string, a number or null is refused", () => {
    for (const [m, field, values] of ENUM_FIELDS) {
      for (const v of values) expect(decode(env({ ...m, [field]: v }))).toMatchObject({ [field]: v });
      for (const bad of ["up", "BOGUS", "", 1, null]) {
        let err: unknown;
        try {
          decode(env({ ...m, [field]: bad }));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(IpcError);
        expect((err as IpcError).code).toBe("IPC_INVALID");
        expect((err as IpcError).message).toContain(`${m.type}.${field}`);
      }
    }
  });

  test("wrong version, no msg and an unknown type are desynchronisation; bad fields are not", () => {
    const desync = [
      null,
      7,
      env({ type: "nope" }),
      { v: IPC_VERSION + 1, msg: { type: "dump", kind: "data" } },
      { v: IPC_VERSION },
      env({ type: "stats", role: "bfd", stats: {} }),
    ]; // nothing sends `stats` any more
    for (const b of desync) expect(() => decode(b)).toThrow(expect.objectContaining({ code: "IPC_DESYNC" }));
    const invalid = [
      env({ type: "ready", role: "vrrp", generation: "1" }),
      env({ type: "config", generation: 1, reload: false }),
      env({ type: "config", generation: 1, reload: false, slice: "x" }),
      env({ type: "vsState", vs: "x", state: "UP", initial: "yes" }),
      env({ type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100 }),
      env({
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "x", help: "", type: "summary", labels: {}, value: 1 }],
      }),
    ];
    for (const b of invalid) {
      expect(() => decode(b)).toThrow(expect.objectContaining({ code: "IPC_INVALID" }));
    }
  });
});

describe("IpcReceiver", () => {
  test("drops a message with a bad enum value, counts and logs it, and keeps going", () => {
    const lines: string[] = [];
    const desyncs: IpcError[] = [];
    const rx = new IpcReceiver(
      "the vrrp child",
      { warn: (_k, m) => void lines.push(m) },
      (e) => void desyncs.push(e),
    );
    expect(
      rx.receive(
        env({ type: "vrrpState", instance: "VI_1", state: "BOSS", priority: 1, effectivePriority: 1 }),
      ),
    ).toBeUndefined();
    expect(rx.receive(env({ type: "bfdState", name: "b", state: "up", at: 0 }))).toBeUndefined();
    expect(rx.dropped).toBe(2);
    expect(lines[0]).toContain(
      "dropped a message from the vrrp child (1 so far): invalid IPC message: vrrpState.state",
    );
    expect(lines[1]).toContain("(2 so far)");
    expect(rx.receive(envelope(VALID[4]!))).toEqual(VALID[4]!);
    expect(desyncs).toEqual([]);
  });

  test("a desynchronisation goes to its handler, uncounted", () => {
    const desyncs: IpcError[] = [];
    const rx = new IpcReceiver("the parent", { warn: () => {} }, (e) => void desyncs.push(e));
    expect(rx.receive({ v: 99, msg: { type: "dump", kind: "data" } })).toBeUndefined();
    expect(rx.dropped).toBe(0);
    expect(desyncs.map((e) => e.code)).toEqual(["IPC_DESYNC"]);
  });
});
