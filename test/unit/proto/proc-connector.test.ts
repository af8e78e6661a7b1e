/** Process connector codec: the listen request's layout, and events decoded from kernel-shaped records. */
import { describe, expect, test } from "bun:test";
import { nlmsg } from "../../../src/proto/netlink.ts";
import { encodeListen, parseProcEvents, PROC_EVENT } from "../../../src/proto/proc-connector.ts";

/** A datagram as the kernel sends it: nlmsghdr, cn_msg (idx, val), proc_event with `words` of data. */
function event(what: number, words: number[], comm?: string, idx = 1): Uint8Array {
  const body = new Uint8Array(20 + 16 + words.length * 4 + (comm === undefined ? 0 : 16));
  const v = new DataView(body.buffer);
  v.setUint32(0, idx, true);
  v.setUint32(4, 1, true);
  v.setUint16(16, body.length - 20, true);
  v.setUint32(20, what, true);
  words.forEach((w, i) => v.setUint32(36 + 4 * i, w, true));
  if (comm !== undefined) body.set(new TextEncoder().encode(comm), 36 + words.length * 4);
  return nlmsg(3, 0, 0, body);
}

describe("process connector", () => {
  test("the listen request: NLMSG_DONE, cn_msg for CN_IDX_PROC/CN_VAL_PROC, len 4, op PROC_CN_MCAST_LISTEN", () => {
    const m = encodeListen(7, 4242);
    const v = new DataView(m.buffer);
    expect(m.length).toBe(16 + 24);
    expect(v.getUint16(4, true)).toBe(3);
    expect(v.getUint32(12, true)).toBe(4242);
    expect([v.getUint32(16, true), v.getUint32(20, true), v.getUint32(24, true)]).toEqual([1, 1, 7]);
    expect(v.getUint16(32, true)).toBe(4);
    expect(v.getUint32(36, true)).toBe(1);
    expect(new DataView(encodeListen(1, 1, false).buffer).getUint32(36, true)).toBe(2);
  });

  test("fork, exec, comm and exit records; others and short ones are left out", () => {
    const d = Buffer.concat([
      event(PROC_EVENT.FORK, [10, 10, 11, 11]),
      event(PROC_EVENT.EXEC, [11, 11]),
      event(PROC_EVENT.COMM, [11, 11], "nginx"),
      event(PROC_EVENT.EXIT, [11, 11, 0, 17, 10, 10]),
      event(4, [11, 11, 0, 0]), // PROC_EVENT_UID
      event(PROC_EVENT.EXEC, [12, 12], undefined, 2), // another connector
    ]);
    expect(parseProcEvents(d)).toEqual([
      { kind: "fork", parentTgid: 10, childPid: 11, childTgid: 11 },
      { kind: "exec", pid: 11, tgid: 11 },
      { kind: "comm", pid: 11, tgid: 11, comm: "nginx" },
      { kind: "exit", pid: 11, tgid: 11 },
    ]);
    expect(parseProcEvents(event(PROC_EVENT.FORK, [1, 2]))).toEqual([]);
    expect(parseProcEvents(Uint8Array.of(1, 2, 3))).toEqual([]);
  });
});
