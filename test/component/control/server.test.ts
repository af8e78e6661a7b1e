/**
 * The control socket (src/control/server.ts, src/control/socket-path.ts) on its own, with a trivial
 * handler: created 0600 in a private directory; a client running as `nobody` is refused; a planted
 * symlink or file at the path is not followed or replaced; a stale socket is replaced, a live one is
 * not taken over; malformed, oversized (> 1 MiB), slow and truncated requests get an error reply while
 * other clients are served; 1,000 concurrent requests are all answered.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { connectRetry } from "../../../src/control/client.ts";
import { join } from "node:path";
import { okReply } from "../../../src/core/control-proto.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { ControlServer } from "../../../src/control/server.ts";
import { ControlPathError, defaultControlPath, prepareDirectory } from "../../../src/control/socket-path.ts";

const root = mkdtempSync("/tmp/kct-srv-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `d${n++}`, "control.sock");

/** Sends raw bytes (optionally slowly) and returns everything the server wrote back. */
async function talk(path: string, data: string | Buffer | null, opts: { endAfter?: boolean } = {}): Promise<string> {
  const s = await connectRetry(path, performance.now() + 20_000);
  return new Promise((resolve, reject) => {
    let out = "";
    if (data !== null) s.write(data);
    if (opts.endAfter) s.end();
    s.on("data", (b) => (out += b.toString()));
    s.on("error", (e) => (out ? resolve(out) : reject(e)));
    s.on("close", () => resolve(out));
  });
}

async function serve(path = fresh()): Promise<ControlServer> {
  let calls = 0;
  const srv = new ControlServer(path, nullLogger, (req, res) => res.reply(okReply({ cmd: req.cmd, calls: ++calls })));
  await srv.listen(0o600, null);
  return srv;
}

describe("control socket", () => {
  test("default path follows the pid file", () => {
    expect(defaultControlPath("/run/keepalived.pid")).toBe("/run/keepalived/control.sock");
    expect(defaultControlPath("/tmp/x/ka-k.pid")).toBe("/tmp/x/ka-k.ctl/control.sock");
    expect(defaultControlPath("/run/keepalived/keepalived.pid")).toBe("/run/keepalived/keepalived.ctl/control.sock");
  });

  test("0600 socket in a 0700 directory; removed on close", async () => {
    const srv = await serve();
    expect(lstatSync(srv.path).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(srv.path, "..")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await talk(srv.path, `{"v":1,"cmd":"status"}\n`))).toMatchObject({ ok: true, result: { cmd: "status" } });
    srv.close();
    expect(existsSync(srv.path)).toBe(false);
    expect(existsSync(join(srv.path, ".."))).toBe(false); // the directory we made goes too
  });

  test("MODE and GROUP: socket 0660 and directory 0710 owned by the group", async () => {
    const path = fresh();
    const srv = new ControlServer(path, nullLogger, (_r, res) => res.reply(okReply({})));
    await srv.listen(0o660, "nogroup");
    const gid = Number(readFileSync("/etc/group", "utf8").split("\n").find((l) => l.startsWith("nogroup:"))!.split(":")[2]);
    expect(lstatSync(path)).toMatchObject({ gid });
    expect(lstatSync(path).mode & 0o777).toBe(0o660);
    expect(lstatSync(join(path, "..")).mode & 0o777).toBe(0o710);
    expect(lstatSync(join(path, "..")).gid).toBe(gid);
    srv.close();
    await expect(new ControlServer(fresh(), nullLogger, () => {}).listen(0o660, "no-such-group-kct")).rejects.toThrow(
      "control_socket: no group 'no-such-group-kct'",
    );
  });

  test("a client running as nobody is refused, even with the directory open to all", async () => {
    const srv = await serve();
    const client = `const s=require("net").connect({path:${
      JSON.stringify(srv.path)
    }});s.on("connect",()=>{console.log("CONNECTED");process.exit(0)});s.on("error",e=>{console.log(e.code);process.exit(1)})`;
    const run = () =>
      Bun.spawnSync(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "-e", client], { stdout: "pipe", stderr: "pipe" });
    let p = run();
    expect(p.stdout.toString().trim()).toBe("EACCES"); // the 0700 directory
    chmodSync(join(srv.path, ".."), 0o755);
    p = run();
    expect(p.stdout.toString().trim()).toBe("EACCES"); // the 0600 socket
    expect(JSON.parse(await talk(srv.path, `{"v":1,"cmd":"status"}\n`)).ok).toBe(true); // root still is served
    srv.close();
  });

  test("a planted symlink at the path is not followed, a file is not replaced", async () => {
    const path = fresh();
    mkdirSync(join(path, ".."), { mode: 0o700 });
    const target = join(root, "victim");
    writeFileSync(target, "precious");
    symlinkSync(target, path);
    const srv = new ControlServer(path, nullLogger, () => {});
    expect(srv.listen(0o600, null)).rejects.toThrow(/symbolic link; not following or replacing it/);
    await Bun.sleep(10);
    expect(readFileSync(target, "utf8")).toBe("precious");
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    rmSync(path);
    writeFileSync(path, "a file");
    await expect(srv.listen(0o600, null)).rejects.toThrow(/exists and is not a socket/);
    expect(readFileSync(path, "utf8")).toBe("a file");
  });

  test("a symlinked, foreign or group-writable directory is refused", () => {
    const dir = join(root, "realdir");
    mkdirSync(dir, { mode: 0o700 });
    const link = join(root, "linkdir");
    symlinkSync(dir, link);
    expect(() => prepareDirectory(link, 0, null)).toThrow(ControlPathError);
    expect(() => prepareDirectory(link, 0, null)).toThrow(/symbolic link/);
    expect(() => prepareDirectory(dir, 12345, null)).toThrow(/owned by uid 0, not 12345/);
    chmodSync(dir, 0o777);
    expect(() => prepareDirectory(dir, 0, null)).toThrow(/writable by group or others \(mode 777\)/);
  });

  test("a stale socket is replaced; a live one is left to its daemon", async () => {
    const path = fresh();
    mkdirSync(join(path, ".."), { mode: 0o700 });
    // A live server at the path: not taken over.
    const other = createServer((s) => s.end("other\n"));
    await new Promise<void>((r) => other.listen(path, r));
    await expect(new ControlServer(path, nullLogger, () => {}).listen(0o600, null)).rejects.toThrow(/in use by another running daemon/);
    expect(await talk(path, null)).toBe("other\n");
    // Make it stale: the file stays, nobody listens (close() would unlink it, so we hide and restore it).
    const hidden = join(root, "hidden.sock");
    Bun.spawnSync(["mv", path, hidden]);
    other.close();
    Bun.spawnSync(["mv", hidden, path]);
    expect(lstatSync(path).isSocket()).toBe(true);
    const srv = await serve(path);
    expect(JSON.parse(await talk(path, `{"v":1,"cmd":"watch"}\n`))).toMatchObject({ result: { cmd: "watch" } });
    srv.close();
  });

  test("malformed, oversized, truncated and slow requests are rejected; others are served meanwhile", async () => {
    const srv = await serve();
    const slow = talk(srv.path, `{"v":1,"cmd":`); // never finished
    const bad = JSON.parse(await talk(srv.path, "not json\n"));
    expect(bad).toMatchObject({ ok: false, error: { code: "BAD_REQUEST", message: expect.stringMatching(/^not JSON/) } });
    expect(JSON.parse(await talk(srv.path, `{"v":1,"cmd":"frobnicate"}\n`)).error.message).toBe('unknown cmd "frobnicate"');
    const big = JSON.parse(await talk(srv.path, Buffer.alloc((1 << 20) + 100, 0x61)));
    expect(big.error.code).toBe("TOO_LARGE");
    expect(JSON.parse(await talk(srv.path, `{"v":1,"cmd":"status"}`, { endAfter: true })).error.code).toBe("BAD_REQUEST");
    expect(JSON.parse(await talk(srv.path, `{"v":1,"cmd":"status"}\n`)).ok).toBe(true);
    expect(JSON.parse(await slow).error).toEqual({ code: "TIMEOUT", message: "no complete request within 5000 ms" });
    expect(srv.stats.rejected).toBe(5);
    srv.close();
  }, 15_000);

  test("1,000 concurrent requests are all answered (refusals of a full backlog retried as keepalived ctl does)", async () => {
    const srv = await serve();
    const replies = await Promise.all(Array.from({ length: 1000 }, () => talk(srv.path, `{"v":1,"cmd":"status"}\n`)));
    const calls = replies.map((r) => JSON.parse(r).result.calls as number).sort((a, b) => a - b);
    expect(calls[0]).toBe(1);
    expect(calls.at(-1)).toBe(1000);
    expect(new Set(calls).size).toBe(1000);
    srv.close();
  }, 30_000);
});
