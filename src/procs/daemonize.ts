/**
 * Running in the background without -n: the launching command starts a detached copy of itself (new
 * session, no terminal, stdio on /dev/null, a socket pair as fd 3), waits until that daemon says it is up
 * or why it failed, and returns. The daemon becomes the parent/watchdog process and closes fd 3.
 */
import type { LaunchReport } from "../core/ipc.ts";
import { Channel } from "../core/channel.ts";
import { closeQuietly, socketPair } from "../ffi/libc.ts";
import { SigioWatcher } from "../ffi/sigio.ts";
import { FdStream } from "../ffi/fdstream.ts";
import { selfCommand } from "./self.ts";
import { TUNED_ENV } from "./tuning.ts";

/** The launcher's channel is the daemon's fd 3. */
const LAUNCHER_FD = 3;

/** Starts the daemon and resolves with the exit status for the launching command. */
export function launchDaemon(argv: readonly string[], timeoutMs = 30_000): Promise<number> {
  const [cmd, ...pre] = selfCommand();
  const [ours, theirs] = socketPair();
  // Bun.spawn, not node:child_process: the daemon imports this module too (reportLaunch), and that module costs ~2 MiB.
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([cmd!, ...pre, ...argv, "--daemonized"], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", theirs],
      // The daemon gets the runtime settings from us (see tuning.ts), so it need not re-execute itself.
      env: { ...process.env, ...(process.env.KA_NO_TUNE === "1" ? {} : TUNED_ENV) },
    });
  } catch (e) {
    closeQuietly(theirs);
    closeQuietly(ours);
    process.stderr.write(`keepalived: cannot start the daemon: ${(e as Error).message}\n`);
    return Promise.resolve(1);
  }
  closeQuietly(theirs);
  return new Promise((resolve) => {
    let settled = false;
    const done = (code: number, line?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (line) process.stderr.write(`keepalived: ${line}\n`);
      channel.close();
      watcher.close();
      child.unref();
      resolve(code);
    };
    const timer = setTimeout(() => done(1, `the daemon (pid ${child.pid}) did not report start-up within ${timeoutMs} ms`), timeoutMs);
    const watcher = new SigioWatcher();
    const channel = new Channel(ours, watcher, (raw) => {
      const m = raw as LaunchReport;
      if (m?.type === "up") done(0);
      else if (m?.type === "failed") done(1, m.reason);
    }, () => done(1, "the daemon exited during start-up"));
    void child.exited.then(() => done(1, `the daemon exited during start-up (${child.signalCode ?? `status ${child.exitCode}`})`));
  });
}

/** In the daemon: tell the launcher how start-up went (one short line fits the socket buffer), then close fd 3. */
export function reportLaunch(r: LaunchReport): void {
  const s = new FdStream(LAUNCHER_FD);
  try {
    s.write(new TextEncoder().encode(JSON.stringify(r) + "\n"));
  } catch { /* the launcher is gone: nobody to tell */ }
  s.close();
}
