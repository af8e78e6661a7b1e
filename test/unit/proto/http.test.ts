import { describe, expect, test } from "bun:test";
import { HttpResponseParser, parseHead } from "../../../src/proto/http.ts";
import { SeededRandom } from "../../support/random.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (parts: Uint8Array[]): string => Buffer.concat(parts).toString("latin1");

/** Feeds text split into pieces of `step` bytes; collects everything. */
function feed(text: string, step: number, eof = false) {
  const p = new HttpResponseParser();
  const bytes = enc(text);
  const raw: Uint8Array[] = [];
  const data: Uint8Array[] = [];
  let status: number | undefined;
  let complete = false;
  let error: string | undefined;
  for (let i = 0; i < bytes.length && error === undefined; i += step) {
    const r = p.push(bytes.subarray(i, i + step));
    if (r.head) status = r.head.status;
    raw.push(...r.raw.map((x) => x.slice()));
    data.push(...r.data.map((x) => x.slice()));
    complete = r.complete;
    error = r.error;
  }
  if (eof && error === undefined && !complete) {
    const e = p.end();
    complete = e.complete;
    error = e.error;
  }
  return { status, raw: dec(raw), data: dec(data), complete, error, parser: p };
}

describe("HttpResponseParser", () => {
  test("Content-Length body, at every split size", () => {
    const msg = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhelloEXTRA";
    for (let step = 1; step <= msg.length; step++) {
      const r = feed(msg, step);
      expect(r).toMatchObject({ status: 200, raw: "hello", data: "hello", complete: true, error: undefined });
    }
  });

  test("chunked body with extension and trailer: raw keeps framing, data is decoded", () => {
    const body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
    const msg = `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body}junk`;
    for (let step = 1; step <= msg.length; step += 1) {
      const r = feed(msg, step);
      expect(r).toMatchObject({
        status: 200,
        raw: body,
        data: "hello world",
        complete: true,
        error: undefined,
      });
    }
  });

  test("close-delimited body completes at EOF", () => {
    const r = feed("HTTP/1.0 200 OK\r\n\r\nabc", 4, true);
    expect(r).toMatchObject({ status: 200, raw: "abc", complete: true });
  });

  test("bare LF line endings are accepted", () => {
    const r = feed("HTTP/1.0 404 Nope\nContent-Length: 2\n\nab", 3);
    expect(r).toMatchObject({ status: 404, data: "ab", complete: true });
  });

  test("interim 100 Continue is skipped", () => {
    const r = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nz", 7);
    expect(r).toMatchObject({ status: 201, data: "z", complete: true });
  });

  test("204 and 304 have no body", () => {
    expect(feed("HTTP/1.1 204 No Content\r\n\r\n", 100)).toMatchObject({
      status: 204,
      complete: true,
      raw: "",
    });
    expect(feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 100)).toMatchObject({
      complete: true,
    });
  });

  test("garbage is rejected from its first bytes", () => {
    const r = feed("SSH-2.0-OpenSSH_9.2\r\n", 100);
    expect(r.error).toStartWith("bad status line");
  });

  test("a head over the limit fails without waiting for its end", () => {
    const p = new HttpResponseParser({ maxHeaderBytes: 1024 });
    p.push(enc("HTTP/1.1 200 OK\r\n"));
    let err: string | undefined;
    for (let i = 0; i < 100 && err === undefined; i++) {
      err = p.push(enc(`X-Pad-${i}: ${"a".repeat(100)}\r\n`)).error;
    }
    expect(err).toBe("header section exceeds 1024 bytes");
    expect(p.push(enc("\r\n")).error).toBe("header section exceeds 1024 bytes");
  });

  test("truncated Content-Length body reports how much arrived", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, true);
    expect(r.error).toBe("closed after 3 of 10 body bytes");
  });

  test("EOF before any byte and inside headers", () => {
    expect(new HttpResponseParser().end().error).toBe("closed before any response");
    const p = new HttpResponseParser();
    p.push(enc("HTTP/1.1 200"));
    expect(p.end().error).toBe("closed inside the header section");
  });

  test("conflicting Content-Length values are an error", () => {
    expect(feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 100).error).toStartWith(
      "bad Content-Length",
    );
    expect(feed("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", 100)).toMatchObject({
      complete: true,
      data: "abc",
    });
  });

  test("bad chunk size and missing chunk CRLF", () => {
    expect(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100).error).toStartWith(
      "bad chunk-size line",
    );
    expect(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX", 100).error).toBe(
      "missing CRLF after chunk data",
    );
  });

  test("an endless chunk-size line is bounded", () => {
    const r = feed(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"0".repeat(2000)}`, 100);
    expect(r.error).toBe("chunk-size line exceeds 1024 bytes");
  });

  test("malformed header line and obsolete folding", () => {
    expect(parseHead("HTTP/1.1 200 OK\r\nno colon here\r\n")).toMatchObject({ ok: false });
    const h = parseHead("HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n");
    expect(h.ok && h.value.headers).toEqual([["x-a", "one two"]]);
  });

  test("a 10 MB body streams through without being kept", () => {
    const p = new HttpResponseParser();
    const size = 10 * 1024 * 1024;
    p.push(enc(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`));
    const block = new Uint8Array(65536).fill(66);
    let complete = false;
    for (let sent = 0; sent < size; sent += block.length) complete = p.push(block).complete;
    expect(complete).toBe(true);
    expect(p.rawBodyBytes).toBe(size);
  });

  test("fuzz: random input never throws", () => {
    const r = new SeededRandom(7);
    const rnd = (): number => r.int(0, 0x7fffffff);
    const prefixes = ["", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"];
    for (let n = 0; n < 300; n++) {
      const p = new HttpResponseParser({ maxHeaderBytes: 256 });
      p.push(enc(prefixes[n % 3] as string));
      for (let k = 0; k < 5; k++) {
        const b = new Uint8Array(rnd() % 64).map(() => rnd() & 0xff);
        expect(() => p.push(b)).not.toThrow();
      }
      expect(() => p.end()).not.toThrow();
    }
  });
});
