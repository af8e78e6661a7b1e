/** RecvBatch: many datagrams per recvmmsg(2), each with its length, sender, receive time and truncation; an empty queue reads 0. */
import { expect, test } from "bun:test";
import { RecvBatch } from "../../../src/ffi/recvmmsg.ts";
import { SO_TIMESTAMPNS, SOCK_DGRAM, Socket, SOL_SOCKET } from "../../../src/ffi/socket.ts";
import { sockaddrIn } from "../../../src/ffi/sockaddr.ts";
import { realtimeMs } from "../../../src/ffi/libc.ts";

const LO = Uint8Array.of(127, 0, 0, 1);

test("a queue longer than the batch is read in several calls, in order, with what each slot carried", async () => {
  const rx = new Socket(2, SOCK_DGRAM, 0);
  const tx = new Socket(2, SOCK_DGRAM, 0);
  const other = new Socket(2, SOCK_DGRAM, 0);
  try {
    rx.bind(sockaddrIn(LO, 0));
    rx.setInt(SOL_SOCKET, SO_TIMESTAMPNS, 1);
    const to = sockaddrIn(LO, (rx.localAddress() as { port: number }).port);
    const b = new RecvBatch(8, 64);
    expect(b.recv(rx.fd)).toBe(0); // nothing queued
    const t0 = realtimeMs();
    for (let i = 0; i < 19; i++) tx.sendTo(Uint8Array.of(i, i, i), to);
    tx.sendTo(new Uint8Array(100).fill(7), to); // longer than a slot
    other.sendTo(Uint8Array.of(19, 19, 19), to); // another sender
    await Bun.sleep(20);
    const got: number[] = [];
    const sizes: number[] = [];
    let origin: { from: Uint8Array; control: Uint8Array } | undefined;
    let same = 0, truncated = 0;
    for (let k = b.recv(rx.fd); k > 0; k = b.recv(rx.fd)) {
      sizes.push(k);
      for (let i = 0; i < k; i++) {
        const stamp = b.receivedAtRealtimeMs(i);
        expect(stamp).toBeGreaterThanOrEqual(t0 - 1);
        expect(stamp).toBeLessThanOrEqual(realtimeMs() + 1);
        expect(b.queueDrops(i)).toBe(-1);
        if (b.truncated(i)) {
          truncated++;
          expect(b.length(i)).toBe(64);
          continue;
        }
        expect(b.length(i)).toBe(3);
        got.push(b.data[i]![0]!);
        origin ??= b.originBytes(i);
        if (b.sameOrigin(i, origin.from, origin.control)) same++;
        const from = b.from(i);
        expect("port" in from && from.port > 0).toBe(true);
      }
    }
    expect(sizes).toEqual([8, 8, 5]);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(truncated).toBe(1);
    expect(same).toBe(19); // all but the other sender's
    expect(origin!.control.length).toBe(0); // the receive time is left out
  } finally {
    rx.close();
    tx.close();
    other.close();
  }
});
