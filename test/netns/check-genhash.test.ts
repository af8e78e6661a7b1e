/**
 * genhash: option parsing and dump format as unit tests, then the digest and the verbose
 * output compared with Debian's /usr/bin/genhash against the same nginx pages in a namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { genhashMain, hexDump, parseGenhashArgs } from "../../src/check/genhash.ts";
import { makeCert, makeNetPair, type NetPair, outputIn, type Started, startNginx, tempDir } from "../support/check/servers.ts";

describe("genhash options and format", () => {
  test("required options, protocols, long forms", () => {
    expect(parseGenhashArgs(["-s", "192.0.2.2", "-p", "80"])).toEqual({
      error: "server, port and url are required",
    });
    expect(parseGenhashArgs(["-h"])).toBe("help");
    expect(parseGenhashArgs(["-s", "a", "-p", "1", "-u", "/", "-P", "2.0"])).toEqual({
      error: "invalid HTTP protocol version '2.0'",
    });
    expect(
      parseGenhashArgs([
        "--server=192.0.2.2",
        "--port",
        "443",
        "--url",
        "/x",
        "-S",
        "-I",
        "-V",
        "h",
        "-P",
        "1.0c",
        "-t",
        "2",
        "-m",
        "5",
      ]),
    )
      .toEqual({
        server: "192.0.2.2",
        port: 443,
        url: "/x",
        ssl: true,
        sni: true,
        virtualhost: "h",
        protocol: "1.0C",
        timeoutSec: 2,
        verbose: false,
        fwmark: 5,
      });
    expect(parseGenhashArgs(["-s", "a", "-p", "1", "-u", "/", "-H", "sha1"])).toEqual({
      error: "unsupported hash 'sha1'",
    });
  });
  test("hex dump lines match Debian genhash byte for byte", () => {
    const head = new TextEncoder().encode("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n");
    expect(hexDump(head)).toBe(
      "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n" +
        "0016  0a 43 6f 6e 74 65 6e 74 - 2d 4c 65 6e 67 74 68 3a   .Content-Length:\n" +
        "0032  20 33 0d 0a 0d 0a       -                            3....          \n",
    );
    expect(hexDump(new TextEncoder().encode("abc"))).toBe(
      "0000  61 62 63                -                           abc             \n",
    );
  });
  test("usage goes to stderr with status 1", async () => {
    let err = "";
    expect(
      await genhashMain([], () => undefined, (s) => {
        err += s;
      }),
    ).toBe(1);
    expect(err).toContain("Usage: genhash COMMAND [OPTIONS]");
  });
});

describe("genhash against Debian's genhash on nginx", () => {
  let net: NetPair;
  let dir: string;
  let nginx: Started | undefined;
  const ours = (args: string[]) => outputIn(net.client, [process.execPath, join(import.meta.dir, "../../src/check/genhash.ts"), ...args]);
  const debian = (args: string[]) => outputIn(net.client, ["genhash", ...args]);

  beforeAll(async () => {
    net = await makeNetPair("g");
    dir = tempDir("genhash");
    const certs = await makeCert(dir, "kck.example");
    nginx = await startNginx(net.server, dir, net.serverIp, 18080, 18443, certs);
    writeFileSync(join(dir, "www", "index.html"), "<html>kck genhash page</html>\n");
    const bin = new Uint8Array(300 * 1024);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
    writeFileSync(join(dir, "www", "blob.bin"), bin);
  });
  afterAll(async () => {
    await nginx?.stop();
    await net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, string[]]> = [
    ["HTTP 1.0", ["-s", "192.0.2.2", "-p", "18080", "-u", "/index.html"]],
    ["HTTP 1.1 large binary", ["-s", "192.0.2.2", "-p", "18080", "-u", "/blob.bin", "-P", "1.1"]],
    ["HTTP 1.0c with virtualhost", [
      "-s",
      "192.0.2.2",
      "-p",
      "18080",
      "-u",
      "/index.html",
      "-P",
      "1.0c",
      "-V",
      "kck.example",
    ]],
    ["404 page", ["-s", "192.0.2.2", "-p", "18080", "-u", "/missing"]],
    ["HTTPS", ["-S", "-s", "192.0.2.2", "-p", "18443", "-u", "/index.html"]],
    ["HTTPS with SNI", [
      "-S",
      "-I",
      "-V",
      "kck.example",
      "-s",
      "192.0.2.2",
      "-p",
      "18443",
      "-u",
      "/blob.bin",
    ]],
  ];
  for (const [name, args] of cases) {
    test(`same digest: ${name}`, async () => {
      const want = await debian(args);
      expect(want).toMatch(/^[0-9a-f]{32}\n$/);
      expect(await ours(args)).toBe(want);
    });
  }

  test("same verbose output apart from the response time", async () => {
    const args = ["-s", "192.0.2.2", "-p", "18080", "-u", "/index.html", "-v"];
    const strip = (s: string) => s.replace(/Global response time for \[.*\] = \d+ usecs\n$/, "");
    const want = strip(await debian(args));
    expect(want).toContain("HTML hash final resulting");
    expect(strip(await ours(args))).toBe(want);
  });

  test("a closed port prints Connection failed like Debian's", async () => {
    const args = ["-s", "192.0.2.2", "-p", "18099", "-u", "/"];
    expect(await debian(args)).toBe("Connection failed\n");
    expect(await ours(args)).toBe("Connection failed\n");
  });
});

describe("genhash from the one binary", () => {
  test("`keepalived genhash …`, `keepalived -T …` and the name genhash are the same program", async () => {
    const { ensureBinary } = await import("../support/binary.ts");
    const bin = await ensureBinary();
    const run = (argv: string[]) => {
      const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
      return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() };
    };
    const sub = run([bin, "genhash", "-h"]);
    expect(sub.out).toContain("--help");
    expect(run([bin, "-T", "-h"])).toEqual(sub);
    const bad = run([bin, "genhash", "--bogus"]);
    expect(bad.code).not.toBe(0);
    expect(bad).toEqual(run([bin, "-T", "--bogus"]));
  });
});
