/**
 * PING_CHECK over the raw ICMP socket and the check child's watcher (SIGIO with its 20 ms hold) on loopback; the
 * raw socket's echo filter; reply matching; inotify record decoding.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { judgeIcmp, makePingCheck } from "../../../src/check/checkers/ping.ts";
import { bfdResult, fileResult } from "../../../src/check/external-results.ts";
import { decodeInotifyEvents, IN_CREATE } from "../../../src/ffi/inotify.ts";
import { SigioWatcher } from "../../../src/ffi/sigio.ts";
import { openIcmpSocket } from "../../../src/ffi/icmp-socket.ts";
import { sockaddrIp } from "../../../src/ffi/sockaddr.ts";
import { echoFilter } from "../../../src/proto/bpf.ts";
import { decodeIcmp, encodeEchoRequest, stripIpv4Header } from "../../../src/proto/icmp.ts";
import { parseIp } from "../../../src/core/inet.ts";
import { loop } from "../../../src/procs/check.ts";
import { waitFor } from "../../support/wait.ts";

const reactor = new SigioWatcher(loop.sigioHoldMs);
afterAll(() => reactor.close());
const sig = () => new AbortController().signal;

describe("PING_CHECK", () => {
  test.each(["127.0.0.1", "::1"])("echo reply from %s passes", async (address) => {
    const r = await makePingCheck({
      endpoint: { address, port: 0 },
      connectTimeoutMs: 2000,
      watcher: reactor,
    })(sig());
    expect(r).toEqual({ ok: true, reason: "ping: echo reply" });
  });

  test("a socket that cannot be opened fails the attempt", async () => {
    const ac = new AbortController();
    const p = makePingCheck({
      endpoint: { address: "127.0.0.1", port: 0 },
      connectTimeoutMs: 2000,
      watcher: reactor,
      open: () => {
        throw Object.assign(new Error("x"), { code: "EPERM" });
      },
    })(ac.signal);
    expect(await p).toEqual({ ok: false, reason: "ping: socket: EPERM" });
  });

  test.each([["ipv4", "127.0.0.1"], ["ipv6", "::1"]] as const)("%s raw socket: the echo filter passes our reply only", async (family, address) => {
    const [a, b, open] = [openIcmpSocket(family), openIcmpSocket(family), openIcmpSocket(family)];
    try {
      expect([a.raw, b.raw, open.raw]).toEqual([true, true, true]); // the tests run as root
      expect(a.sock.attachFilter(echoFilter(family, 0x4242))).toBeUndefined();
      expect(b.sock.attachFilter(echoFilter(family, 0x4343))).toBeUndefined();
      const req = encodeEchoRequest(family, { id: 0x4242, seq: 7, payload: new TextEncoder().encode("kc filter") });
      a.sock.sendTo(req, sockaddrIp(parseIp(address)!.bytes));
      const kinds = (s: typeof a) => {
        const out: string[] = [];
        for (let d = s.sock.recv(); d; d = s.sock.recv()) {
          const body = family === "ipv4" ? stripIpv4Header(d.data) : { ok: true as const, value: d.data };
          const m = body.ok ? decodeIcmp(family, body.value, { verifyChecksum: false }) : undefined;
          if (m?.ok && "id" in m.value && m.value.id === 0x4242) out.push(m.value.kind);
        }
        return out;
      };
      const gotA: string[] = [], gotOpen: string[] = [];
      await waitFor("the unfiltered socket saw request and reply", () => {
        gotA.push(...kinds(a));
        gotOpen.push(...kinds(open));
        return gotOpen.includes("echo-reply") && gotOpen.includes("echo-request");
      });
      await waitFor("the filtered socket read the reply", () => (gotA.push(...kinds(a)), gotA.includes("echo-reply")));
      expect(gotA).toEqual(["echo-reply"]); // not our own request
      expect(kinds(b)).toEqual([]); // another identifier: neither
    } finally {
      for (const s of [a, b, open]) s.sock.close();
    }
  });

  test.each(
    [
      // [message, id, seq, fromOk, verdict]
      [{ kind: "echo-reply", id: 7, seq: 9, payload: new Uint8Array() }, 7, 9, true, "ok"],
      [{ kind: "echo-reply", id: 8, seq: 9, payload: new Uint8Array() }, 7, 9, true, undefined],
      [{ kind: "echo-reply", id: 8, seq: 9, payload: new Uint8Array() }, undefined, 9, true, "ok"],
      [{ kind: "echo-reply", id: 7, seq: 9, payload: new Uint8Array() }, 7, 9, false, undefined],
      [{ kind: "echo-request", id: 7, seq: 9, payload: new Uint8Array() }, 7, 9, true, undefined],
      [{ kind: "unreachable", code: 1, original: { id: 7, seq: 9 } }, 7, 9, true, "fail"],
      [{ kind: "unreachable", code: 1, original: { id: 7, seq: 10 } }, 7, 9, true, undefined],
    ] as const,
  )("judge %j id=%p seq=%p", (m, id, seq, fromOk, want) => {
    const r = judgeIcmp(m as never, id, seq, fromOk);
    expect(r === undefined ? undefined : r.ok ? "ok" : "fail").toBe(want);
  });
});

describe("FILE_CHECK and BFD_CHECK results", () => {
  test.each(
    [
      ["0\n", 1, false, true, 0],
      ["5", 2, false, true, 10],
      ["5", 2, true, true, -10],
      ["3", 0, false, false, undefined],
      ["junk", 1, false, false, undefined],
      [undefined, 1, false, false, undefined],
    ] as const,
  )("file %j weight %i reverse %p", (text, weight, reverse, ok, delta) => {
    const r = fileResult(text, weight, reverse);
    expect(r.ok).toBe(ok);
    expect(r.weight).toBe(delta);
  });

  test("BFD Up passes, other states fail", () => {
    expect(bfdResult("Up").ok).toBe(true);
    for (const s of ["Down", "Init", "AdminDown"] as const) expect(bfdResult(s).ok).toBe(false);
  });

  test("inotify records decode with padded names", () => {
    const b = new Uint8Array(16 + 16 + 16);
    const dv = new DataView(b.buffer);
    dv.setInt32(0, 1, true);
    dv.setUint32(4, IN_CREATE, true);
    dv.setUint32(12, 16, true);
    b.set(new TextEncoder().encode("val"), 16);
    dv.setInt32(32, 2, true);
    dv.setUint32(36, 0x8000, true);
    expect(decodeInotifyEvents(b)).toEqual([
      { wd: 1, mask: IN_CREATE, cookie: 0, name: "val" },
      { wd: 2, mask: 0x8000, cookie: 0, name: "" },
    ]);
    expect(decodeInotifyEvents(b.subarray(0, 20))).toEqual([]);
  });
});
