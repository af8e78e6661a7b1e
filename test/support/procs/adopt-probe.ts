/**
 * Runs as the image a shell exec()s into after starting a background child (`sh -c 'CMD & exec bun
 * adopt-probe.ts $! [SIGNAL [PAUSE_MS]]'`): the child is ours but this runtime never spawned it, as the VRRP child
 * handed over across the first process's re-exec. Adopts it (src/ffi/adopted-child.ts), optionally
 * kills it, and prints one JSON line: what onExit saw, what `exited` resolved with, and whether the
 * pid is gone (reaped, not a zombie). Also spawns and awaits a child of its own meanwhile, which must
 * still get its exit from Bun.
 */
import { existsSync } from "node:fs";
import { AdoptedChild } from "../../../src/ffi/adopted-child.ts";

const pid = Number(process.argv[2]);
const kill = process.argv[3];
// A pause first leaves a child that has already exited as a zombie of this process.
Bun.sleepSync(Number(process.argv[4] ?? 0));
let seen: [number | null, string | null] | undefined;
const child = new AdoptedChild(pid, (status, signal) => void (seen = [status, signal]));
const own = Bun.spawn(["sh", "-c", "exit 7"]);
if (kill) child.kill(kill as NodeJS.Signals);
const timer = setTimeout(() => {
  console.log(JSON.stringify({ timeout: true }));
  process.exit(1);
}, 5000);
const exited = await child.exited;
clearTimeout(timer);
console.log(
  JSON.stringify({ seen, exited, exitCode: child.exitCode, signalCode: child.signalCode, reaped: !existsSync(`/proc/${pid}`), own: await own.exited }),
);
