import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startMark } from "../../../src/core/start-trace.ts";

const dir = mkdtempSync("/tmp/kt-trace-");
afterEach(() => {
  delete process.env.KA_START_TRACE;
});

describe("startMark", () => {
  test("unset: writes nothing; set: an origin line first, then one line per mark in order", () => {
    const f = join(dir, "trace");
    startMark("parent", "ignored");
    process.env.KA_START_TRACE = f;
    startMark("parent", "config code");
    startMark("parent", "parsed");
    const lines = readFileSync(f, "utf8").trim().split("\n").map((l) => l.split(" "));
    rmSync(dir, { recursive: true, force: true });
    expect(lines.map((l) => l.slice(0, -1).join(" "))).toEqual([
      `${process.pid} parent origin`,
      `${process.pid} parent config code`,
      `${process.pid} parent parsed`,
    ]);
    const [origin, a, b] = lines.map((l) => Number(l.at(-1)));
    expect(origin).toBeCloseTo(performance.timeOrigin, 0);
    expect(a! >= origin! && b! >= a!).toBe(true);
  });
});
