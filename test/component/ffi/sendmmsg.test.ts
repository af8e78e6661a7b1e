/** DatagramBatch: several datagrams in one sendmmsg(2), in order; a refused one is reported by index and the rest still go. */
import { expect, test } from "bun:test";
import { DatagramBatch } from "../../../src/ffi/sendmmsg.ts";
import { SOCK_DGRAM, Socket } from "../../../src/ffi/socket.ts";
import { sockaddrIn, sockaddrIn6 } from "../../../src/ffi/sockaddr.ts";

const LO = Uint8Array.of(127, 0, 0, 1);
const own = (s: string) => {
  const b = new TextEncoder().encode(s);
  const o = new Uint8Array(new ArrayBuffer(b.length));
  o.set(b);
  return o;
};

test("a batch goes out in order; a refused datagram is reported and the others are sent", async () => {
  const rx = new Socket(2, SOCK_DGRAM, 0);
  const tx = new Socket(2, SOCK_DGRAM, 0);
  try {
    rx.bind(sockaddrIn(LO, 0));
    const port = (rx.localAddress() as { port: number }).port;
    const to = sockaddrIn(LO, port);
    const batch = new DatagramBatch(4);
    expect(batch.add(own("one"), to)).toBe(true);
    expect(batch.add(own("bad"), sockaddrIn6(new Uint8Array(16), port))).toBe(true); // IPv6 address on an IPv4 socket
    expect(batch.add(own("two"), to)).toBe(true);
    expect(batch.add(own("three"), to)).toBe(true);
    expect(batch.add(own("four"), to)).toBe(false); // full
    const errors: { index: number; code: string }[] = [];
    batch.flush(tx.fd, (index, e) => errors.push({ index, code: e.code }));
    expect(batch.size).toBe(0);
    expect(errors.map((e) => e.index)).toEqual([1]);
    expect(errors[0]!.code).toMatch(/^E[A-Z]+$/);
    await Bun.sleep(20);
    const got: string[] = [];
    for (let d = rx.recv(); d; d = rx.recv()) got.push(new TextDecoder().decode(d.data));
    expect(got).toEqual(["one", "two", "three"]);
    batch.flush(tx.fd, () => {
      throw new Error("an empty batch sends nothing");
    });
  } finally {
    rx.close();
    tx.close();
  }
});
