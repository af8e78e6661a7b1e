/**
 * Running in the background without -n: the launching command starts a detached copy of itself (new
 * session, no terminal, stdio on /dev/null), waits until that daemon says it is up or why it failed, and
 * returns. The daemon becomes the parent/watchdog process.
 */
import { spawn } from "node:child_process";
import type { LaunchReport } from "../core/ipc.ts";
import { selfCommand } from "./self.ts";
import { TUNED_ENV } from "./tuning.ts";

/** Starts the daemon and resolves with the exit status for the launching command. */
export function launchDaemon(argv: readonly string[], timeoutMs = 30_000): Promise<number> {
  const [cmd, ...pre] = selfCommand();
  const child = spawn(cmd!, [...pre, ...argv, "--daemonized"], {
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "ipc"],
    // The daemon gets the runtime settings from us: an execve of its own would lose the IPC channel.
    env: { ...process.env, ...(process.env.KA_NO_TUNE === "1" ? {} : TUNED_ENV) },
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`keepalived: the daemon (pid ${child.pid}) did not report start-up within ${timeoutMs} ms\n`);
      resolve(1);
    }, timeoutMs);
    const done = (code: number) => {
      clearTimeout(timer);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on("message", (m: LaunchReport) => {
      if (m?.type === "up") done(0);
      else if (m?.type === "failed") {
        process.stderr.write(`keepalived: ${m.reason}\n`);
        done(1);
      }
    });
    child.on("exit", (status, signal) => {
      process.stderr.write(`keepalived: the daemon exited during start-up (${signal ?? `status ${status}`})\n`);
      done(1);
    });
    child.on("error", (e) => {
      process.stderr.write(`keepalived: cannot start the daemon: ${e.message}\n`);
      done(1);
    });
  });
}

/** In the daemon: tell the launcher how start-up went, then let it go. */
export function reportLaunch(r: LaunchReport): void {
  if (!process.send) return;
  process.send(r, undefined, () => {
    if (process.connected) process.disconnect?.();
  });
}
