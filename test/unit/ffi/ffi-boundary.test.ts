import { expect, test } from "bun:test";
import { Glob } from "bun";
import { join } from "node:path";

test("bun:ffi is imported only under src/ffi/", async () => {
  const root = join(import.meta.dir, "../../..");
  const offenders: string[] = [];
  for (const f of new Glob("src/**/*.ts").scanSync({ cwd: root })) {
    const text = await Bun.file(join(root, f)).text();
    if (/["']bun:ffi["']/.test(text) && !f.startsWith("src/ffi/")) offenders.push(f);
  }
  expect(offenders).toEqual([]);
});
