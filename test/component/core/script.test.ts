import { describe, expect, test } from "bun:test";
import { splitCommand } from "../../../src/core/command-line.ts";
import { findUser, runScript, scriptExits, scriptInsecurity } from "../../../src/core/script.ts";

describe("splitCommand", () => {
  test("splits like keepalived: quotes group words and are removed", () => {
    expect(splitCommand("/bin/echo a  b")).toEqual(["/bin/echo", "a", "b"]);
    expect(splitCommand(`/x.sh 'two words' "and three here" x\\ y`)).toEqual(["/x.sh", "two words", "and three here", "x y"]);
    expect(splitCommand(`a '' b`)).toEqual(["a", "", "b"]);
    expect(splitCommand("   ")).toEqual([]);
  });
});

describe("users", () => {
  test("finds by name or uid", () => {
    const pw = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
    expect(findUser(pw, "nobody")).toEqual({ name: "nobody", uid: 65534, gid: 65534 });
    expect(findUser(pw, "0")?.name).toBe("root");
    expect(findUser(pw, "ghost")).toBeUndefined();
  });
});

describe("enable_script_security", () => {
  const st = (m: Record<string, { uid: number; gid: number; mode: number }>) => (p: string) => {
    const v = m[p];
    if (!v) throw new Error("ENOENT");
    return v;
  };
  const root = { uid: 0, gid: 0, mode: 0o40755 };
  test("accepts root-owned paths, refuses writable-by-others ones", () => {
    expect(scriptInsecurity("/etc/k/s.sh", st({ "/": root, "/etc": root, "/etc/k": root, "/etc/k/s.sh": { uid: 0, gid: 0, mode: 0o100755 } }))).toBeUndefined();
    expect(scriptInsecurity("/etc/k/s.sh", st({ "/": root, "/etc": root, "/etc/k": root, "/etc/k/s.sh": { uid: 1000, gid: 0, mode: 0o100755 } }))).toMatch(
      /owned by uid 1000/,
    );
    expect(
      scriptInsecurity(
        "/etc/k/s.sh",
        st({ "/": root, "/etc": root, "/etc/k": { uid: 0, gid: 0, mode: 0o40777 }, "/etc/k/s.sh": { uid: 0, gid: 0, mode: 0o100755 } }),
      ),
    ).toMatch(/writable by everyone/);
    expect(scriptInsecurity("/tmp/s.sh", st({ "/": root, "/tmp": { uid: 0, gid: 0, mode: 0o41777 }, "/tmp/s.sh": { uid: 0, gid: 0, mode: 0o100755 } })))
      .toBeUndefined();
    expect(scriptInsecurity("/etc/k/s.sh", st({ "/": root, "/etc": root, "/etc/k": root, "/etc/k/s.sh": { uid: 0, gid: 50, mode: 0o100775 } }))).toMatch(
      /writable by group 50/,
    );
  });
});

describe("runScript", () => {
  test("reports exit status", async () => {
    expect(await runScript({ argv: ["/bin/sh", "-c", "exit 3"], uid: 0, gid: 0 }, { timeoutMs: 5000 })).toEqual({ status: 3, signal: null, timedOut: false });
  });
  test("tells scriptExits.onExit once per exited script, before the result; a script that could not start is not told", async () => {
    const seen: string[] = [];
    scriptExits.onExit = () => seen.push("exit");
    try {
      const r = await runScript({ argv: ["/bin/true"], uid: 0, gid: 0 }, { timeoutMs: 5000 });
      seen.push(`result ${r.status}`);
      await runScript({ argv: ["/nonexistent/ka-no-such"], uid: 0, gid: 0 }, { timeoutMs: 5000 });
    } finally {
      scriptExits.onExit = undefined;
    }
    expect(seen).toEqual(["exit", "result 0"]);
  });
  test("times out with SIGTERM then SIGKILL", async () => {
    const r = await runScript({ argv: ["/bin/sh", "-c", "trap '' TERM; sleep 30"], uid: 0, gid: 0 }, { timeoutMs: 100, killGraceMs: 100 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
  });
  test("runs as the given user, with a clean environment", async () => {
    const out = "/tmp/ka-script-test-" + process.pid;
    const r = await runScript({ argv: ["/bin/sh", "-c", `id -u > ${out}; echo $KA_X >> ${out}`], uid: 65534, gid: 65534 }, {
      timeoutMs: 5000,
      env: { KA_X: "hello" },
    });
    expect(r.status).toBe(0);
    expect(await Bun.file(out).text()).toBe("65534\nhello\n");
    await Bun.$`rm -f ${out}`;
  });
  test("a missing program is an error, not a throw", async () => {
    const r = await runScript({ argv: ["/nonexistent/prog"], uid: 0, gid: 0 }, { timeoutMs: 1000 });
    expect(r.error).toBeDefined();
    expect(r.status).toBeNull();
  });
});

describe("runScript process group", () => {
  test("a timeout also ends what the script started", async () => {
    const mark = `/tmp/ka-grp-${process.pid}`;
    const r = await runScript({ argv: ["/bin/sh", "-c", `sleep 30 & echo $! > ${mark}; wait`], uid: 0, gid: 0 }, { timeoutMs: 200, killGraceMs: 200 });
    expect(r.timedOut).toBe(true);
    const pid = Number(await Bun.file(mark).text());
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      // A killed orphan may linger as a zombie until init reaps it: that counts as ended.
      const stat = await Bun.file(`/proc/${pid}/stat`).text().catch(() => "");
      alive = stat !== "" && !/^\d+ \(.*\) Z/.test(stat);
      if (alive) await Bun.sleep(20);
    }
    expect(alive).toBe(false);
    await Bun.$`rm -f ${mark}`;
  });
});
