import { describe, expect, test } from "bun:test";
import { NetlinkError } from "../../../../src/ffi/netlink.ts";
import { FakeIpvsKernel } from "../../../../src/check/ipvs/fake-kernel.ts";
import { IpvsError } from "../../../../src/check/ipvs/kernel.ts";
import { NetlinkIpvsKernel, type NlTransport, resolveIpvsFamily } from "../../../../src/check/ipvs/netlink-kernel.ts";
import { IpvsReconciler, readIpvsTable } from "../../../../src/check/ipvs/reconciler.ts";
import { IpvsLvsSink } from "../../../../src/check/ipvs/sink.ts";
import { CTRL_ATTR, CTRL_CMD, GENL_ID_CTRL, genlmsg, parseGenl } from "../../../../src/proto/genl.ts";
import { destAttr, IPVS_CMD, IPVS_CMD_ATTR, ipvsMsg, type IpvsService, serviceAttr } from "../../../../src/proto/ipvs.ts";
import { parseIpvsDest, parseIpvsService, parseServiceAttrs } from "../../../../src/proto/ipvs-parse.ts";
import { NLM_F, type NlMessage, splitMessages } from "../../../../src/proto/netlink.ts";
import { AttrReader, concatBytes, nlaString, nlaU16 } from "../../../../src/proto/netlink-attr.ts";
import { entry, fwm, rs, tcp } from "../../../support/check/ipvs/helpers.ts";

const FAMILY = 0x23;

function one(bytes: Uint8Array): NlMessage {
  const m = splitMessages(bytes);
  if (!m.ok || m.value.length !== 1) throw new Error("expected one message");
  return m.value[0]!;
}

function must<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** The service key of a GET_DEST request (the codec parses only NEW/SET/DEL_DEST). */
function serviceOfGetDest(msg: NlMessage): IpvsService {
  const top = must(AttrReader.parse(must(parseGenl(msg)).attrs, "IPVS_CMD_ATTR"));
  const nest = top.nested(IPVS_CMD_ATTR.SERVICE, "SERVICE");
  if (!nest) throw new Error("GET_DEST without a service");
  return must(parseServiceAttrs(nest));
}

/** A byte-level kernel: decodes each request with the codec, runs it on a FakeIpvsKernel, encodes replies. */
class WireKernel implements NlTransport {
  seq = 100;
  closed = false;
  requests: number[] = [];
  constructor(readonly fake: FakeIpvsKernel, readonly hasIpvs = true) {}
  nextSeq(): number {
    return ++this.seq;
  }
  close(): void {
    this.closed = true;
  }
  request(bytes: Uint8Array, seq: number, what: string): NlMessage[] {
    const msg = one(bytes);
    expect(msg.header.seq).toBe(seq);
    if (msg.header.type === GENL_ID_CTRL) {
      if (!this.hasIpvs) throw new NetlinkError(2, what);
      return [
        one(
          genlmsg(
            GENL_ID_CTRL,
            CTRL_CMD.NEWFAMILY,
            2,
            0,
            seq,
            concatBytes(nlaU16(CTRL_ATTR.FAMILY_ID, FAMILY), nlaString(CTRL_ATTR.FAMILY_NAME, "IPVS")),
          ),
        ),
      ];
    }
    expect(msg.header.type).toBe(FAMILY);
    const cmd = must(parseGenl(msg)).cmd;
    this.requests.push(cmd);
    try {
      return this.#run(cmd, msg, seq);
    } catch (e) {
      if (e instanceof IpvsError) throw new NetlinkError(e.errno, what);
      throw e;
    }
  }
  #run(cmd: number, msg: NlMessage, seq: number): NlMessage[] {
    const f = this.fake;
    const svc = () => must(parseIpvsService(msg));
    const dst = () => must(parseIpvsDest(msg)).dest;
    const dsvc = () => must(parseIpvsDest(msg)).service!;
    switch (cmd) {
      case IPVS_CMD.GET_SERVICE:
        return f.getServices().map((s) => one(ipvsMsg(FAMILY, IPVS_CMD.NEW_SERVICE, NLM_F.MULTI, seq, serviceAttr(s))));
      case IPVS_CMD.GET_DEST:
        return f.getDests(serviceOfGetDest(msg)).map((d) => one(ipvsMsg(FAMILY, IPVS_CMD.NEW_DEST, NLM_F.MULTI, seq, destAttr(d))));
      case IPVS_CMD.NEW_SERVICE:
        f.addService(svc());
        break;
      case IPVS_CMD.SET_SERVICE:
        f.editService(svc());
        break;
      case IPVS_CMD.DEL_SERVICE:
        f.delService(svc());
        break;
      case IPVS_CMD.NEW_DEST:
        f.addDest(dsvc(), dst());
        break;
      case IPVS_CMD.SET_DEST:
        f.editDest(dsvc(), dst());
        break;
      case IPVS_CMD.DEL_DEST:
        f.delDest(dsvc(), dst());
        break;
      case IPVS_CMD.FLUSH:
        f.flush();
        break;
      default:
        throw new Error(`unexpected IPVS command ${cmd}`);
    }
    return [];
  }
}

describe("NetlinkIpvsKernel over a byte-level fake kernel", () => {
  test("resolves the family; a missing IPVS family is IpvsError ENOENT naming ip_vs", () => {
    expect(resolveIpvsFamily(new WireKernel(new FakeIpvsKernel()))).toBe(FAMILY);
    expect(() => resolveIpvsFamily(new WireKernel(new FakeIpvsKernel(), false))).toThrow(/ip_vs module/);
  });

  test("the reconciler's writes arrive as the codec's commands and read back equal", () => {
    const fake = new FakeIpvsKernel();
    const wire = new WireKernel(fake);
    const k = new NetlinkIpvsKernel(wire, FAMILY);
    const want = [
      entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.2", 8080, 3)),
      entry(fwm(7, "wrr"), rs("127.0.0.4", 0, 2, "route")),
    ];
    const r = new IpvsReconciler(k);
    expect(r.sync(want).failed).toEqual([]);
    expect(fake.calls).toEqual([
      "addService tcp 192.0.2.10:80 rr",
      "addService fwmark 7 af2 wrr",
      "addDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
      "addDest fwmark 7 af2 127.0.0.4:0 route w2",
    ]);
    expect(new IpvsReconciler(k).sync(want).applied).toEqual([]);
    expect(readIpvsTable(k).map((e) => e.dests.length)).toEqual([1, 1]);
  });

  test("kernel errors become IpvsError with the errno", () => {
    const k = new NetlinkIpvsKernel(new WireKernel(new FakeIpvsKernel()), FAMILY);
    k.addService(tcp("192.0.2.10", 80));
    let err: unknown;
    try {
      k.addService(tcp("192.0.2.10", 80));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpvsError);
    expect((err as IpvsError).errno).toBe(17);
  });
});

describe("IpvsLvsSink", () => {
  test("first apply syncs (adopts), later ones diff the model; cleanup removes only owned services", () => {
    const fake = new FakeIpvsKernel();
    fake.addService(tcp("198.51.100.1", 443, "sh"));
    fake.addService(tcp("192.0.2.10", 80, "rr"));
    fake.addDest(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080, 3));
    const errors: string[] = [];
    const sink = new IpvsLvsSink(new IpvsReconciler(fake), { info() {}, error: (m) => errors.push(m) });
    fake.calls.length = 0;
    sink.apply([{ ...tcp("192.0.2.10", 80, "rr"), dests: [rs("127.0.0.2", 8080, 3)] }]);
    expect(fake.calls).toEqual([]);
    sink.apply([{ ...tcp("192.0.2.10", 80, "rr"), dests: [rs("127.0.0.2", 8080, 0)] }]);
    expect(fake.calls).toEqual(["editDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w0"]);
    sink.cleanup();
    expect(fake.calls.at(-1)).toBe("delService tcp 192.0.2.10:80");
    expect(fake.getServices().map((s) => s.addr)).toEqual(["198.51.100.1"]);
    expect(errors).toEqual([]);
  });
});

describe("IpvsLvsSink read failures", () => {
  test("a failed kernel read is logged and the next apply syncs again", () => {
    const fake = new FakeIpvsKernel();
    let broken = true;
    const real = fake.getServices.bind(fake);
    fake.getServices = () => {
      if (broken) throw new IpvsError(105, "getServices", "ENOBUFS");
      return real();
    };
    const errors: string[] = [];
    const sink = new IpvsLvsSink(new IpvsReconciler(fake), { info() {}, error: (m) => errors.push(m) });
    const table = [{ ...tcp("192.0.2.10", 80, "rr"), dests: [rs("127.0.0.2", 8080, 3)] }];
    sink.apply(table);
    expect(errors).toEqual([expect.stringContaining("cannot read the kernel table")]);
    expect(fake.calls).toEqual([]);
    broken = false;
    sink.apply(table);
    expect(fake.calls).toEqual([
      "addService tcp 192.0.2.10:80 rr",
      "addDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
    ]);
  });
});

describe("lvs_netlink_cmd_rcv_bufs", () => {
  test("the IPVS socket gets the configured buffer, and its 1 MiB forced default back without one", () => {
    const wire = new WireKernel(new FakeIpvsKernel());
    const set: string[] = [];
    const transport: NlTransport = {
      nextSeq: () => wire.nextSeq(),
      request: (m, s, w) => wire.request(m, s, w),
      close: () => wire.close(),
      setRcvBuf: (bytes, force) => void set.push(`${bytes} ${force}`),
    };
    const k = new NetlinkIpvsKernel(transport, FAMILY);
    const errors: string[] = [];
    const sink = new IpvsLvsSink(new IpvsReconciler(k), { info() {}, error: (m) => errors.push(m) }, k);
    sink.setRcvBuf({ bytes: 500_000, force: false });
    sink.setRcvBuf(undefined);
    expect(set).toEqual(["500000 false", `${1 << 20} true`]);
    transport.setRcvBuf = () => {
      throw new Error("EPERM");
    };
    sink.setRcvBuf({ bytes: 1, force: true });
    expect(errors).toEqual(["IPVS: cannot set the netlink receive buffer to 1: EPERM"]);
  });
});
