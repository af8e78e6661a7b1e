/**
 * LimitedWatch: the first readiness runs at once; after a read that found something the fd is out of the
 * watcher for the limit and comes back with one look; a look that finds nothing leaves it watched.
 */
import { expect, test } from "bun:test";
import type { FdWatcher } from "../../../src/ffi/reactor.ts";
import { LimitedWatch } from "../../../src/core/limited-watch.ts";
import { waitFor } from "../../support/wait.ts";

test("at once, then at most once per limit while input keeps coming; quiet: stays watched", async () => {
  const watched = new Map<number, () => void>();
  const log: string[] = [];
  const watcher: FdWatcher = {
    add: (fd, f) => {
      watched.set(fd, f);
      log.push("add");
      queueMicrotask(f); // the look at add time, as both real watchers do
    },
    remove: (fd) => void (watched.delete(fd) && log.push("remove")),
    close: () => {},
  };
  let queued = 0, reads = 0;
  const w = new LimitedWatch(watcher, 7, () => {
    reads++;
    const had = queued > 0;
    queued = 0;
    return had;
  }, 20);
  await Bun.sleep(1); // the look at add: nothing queued, still watched
  expect(log).toEqual(["add"]);
  queued = 1;
  watched.get(7)!(); // readiness: read at once, then held
  expect(w.holding).toBe(true);
  expect(log).toEqual(["add", "remove"]);
  queued = 5; // arrives while held: no delivery (the fd is not watched)
  expect(watched.has(7)).toBe(false);
  await waitFor("back after the limit, with a look that reads the five", () => queued === 0 && log.length >= 4);
  expect(log.slice(0, 4)).toEqual(["add", "remove", "add", "remove"]); // the look found input: held again
  await waitFor("back again; the look finds nothing, so it stays watched", () => !w.holding && watched.has(7));
  await Bun.sleep(50);
  expect(watched.has(7)).toBe(true);
  const r = reads;
  w.close();
  expect(watched.has(7)).toBe(false);
  expect(reads).toBe(r);
});
