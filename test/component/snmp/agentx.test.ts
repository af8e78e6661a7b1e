/**
 * The AgentX session (src/snmp/agentx.ts) against a fake master on a unix socket (prefix /tmp/ksn-ax-):
 * Open and Register answered, a GetNext split across two reads and two PDUs in one read (RFC 2741 §6.1
 * framing), a PDU the library cannot parse (counted, dropped, session kept) and a header with a bad
 * version (session closed and opened again).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { AgentXClient, parseMasterAddress } from "../../../src/snmp/agentx.ts";
import { MibView } from "../../../src/snmp/oid.ts";
import { waitFor } from "../../support/netns.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";

const dir = mkdtempSync("/tmp/ksn-ax-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An AgentX header (network byte order) followed by `payload`. */
function pdu(type: number, packetId: number, payload: Buffer, sessionId = 7): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt8(1, 0);
  h.writeUInt8(type, 1);
  h.writeUInt8(0x10, 2);
  h.writeUInt32BE(sessionId, 4);
  h.writeUInt32BE(packetId, 12);
  h.writeUInt32BE(payload.length, 16);
  return Buffer.concat([h, payload]);
}
const response = (packetId: number) => pdu(18, packetId, Buffer.alloc(8));
/** A GetNext of `oid` (prefix-compressed under 1.3.6.1) with a null end. */
function getNext(packetId: number, oid: number[]): Buffer {
  const sub = oid.slice(5);
  const o = Buffer.alloc(4 + 4 * sub.length);
  o.writeUInt8(sub.length, 0);
  o.writeUInt8(oid[4]!, 1);
  sub.forEach((s, i) => o.writeUInt32BE(s, 4 + 4 * i));
  return pdu(6, packetId, Buffer.concat([o, Buffer.alloc(4)]));
}

describe("AgentX session", () => {
  test("master addresses", () => {
    expect(parseMasterAddress("unix:/var/agentx/master")).toEqual({ path: "/var/agentx/master" });
    expect(parseMasterAddress("tcp:localhost:705")).toEqual({ host: "localhost", port: 705 });
    expect(parseMasterAddress("[::1]:705")).toEqual({ host: "::1", port: 705 });
    expect(() => parseMasterAddress("udp:1.2.3.4:705x")).toThrow(/snmp socket 'udp:1.2.3.4:705x'/);
  });

  test("framing, unparseable PDUs and a bad header", async () => {
    const path = join(dir, "master");
    const conns: Socket[] = [];
    const got: Buffer[] = [];
    const server: Server = createServer((s) => {
      conns.push(s);
      let buf = Buffer.alloc(0);
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 20 && buf.length >= 20 + buf.readUInt32BE(16)) {
          const type = buf[1]!, id = buf.readUInt32BE(12), len = buf.readUInt32BE(16);
          if (type === 1 || type === 3) s.write(response(id)); // Open, Register
          if (type === 18) got.push(buf.subarray(0, 20 + len));
          buf = buf.subarray(20 + len);
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    const { log, lines } = captureLogger();
    const root = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
    const view = new MibView([{ oid: [...root, 1, 2, 0], type: "str", value: "r1" }, { oid: [...root, 1, 4, 0], type: "int", value: 1 }]);
    const c = new AgentXClient({ master: { path }, log, roots: [root], view: () => view, description: "test", retryMs: { first: 50, max: 100 } });
    try {
      await c.start();
      await waitFor("session open", () => c.connected, 15_000);
      const s = conns[0]!;
      const a = getNext(100, root), b = getNext(101, [...root, 1, 2, 0]);
      s.write(a.subarray(0, 13));
      await Bun.sleep(50);
      s.write(Buffer.concat([a.subarray(13), b]));
      await waitFor("two answers", () => got.length >= 2, 15_000).catch((e) => {
        throw new Error(
          `${(e as Error).message}: ${got.length} answers, ${conns.length} connections, ${c.sessions} sessions, ${c.malformed} malformed; ${lines.join(" / ")}`,
        );
      });
      expect(got.map((g) => g.readUInt32BE(12))).toEqual([100, 101]);
      expect(got[0]!.subarray(20 + 8).includes(Buffer.from("r1"))).toBe(true);
      s.write(pdu(99, 102, Buffer.alloc(4)));
      await waitFor("the unparseable PDU counted", () => c.malformed === 1, 15_000);
      expect(c.connected).toBe(true);
      s.write(Buffer.from([9, 5, 0x10, 0, ...new Array(16).fill(0)]));
      await waitFor("a new session after the bad header", () => conns.length === 2 && c.connected && c.sessions === 2, 15_000);
      expect(c.malformed).toBe(2);
      expect(lines.some((l) => /malformed AgentX PDU from the master \(version 9/.test(l))).toBe(true);
    } finally {
      c.stop();
      server.close();
    }
  }, 60_000);
});
