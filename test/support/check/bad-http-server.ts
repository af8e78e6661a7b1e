/**
 * Test helper: an HTTP server that misbehaves per path. Usage: bun bad-http-server.ts IP PORT.
 * /ok 200 "hello world"; /garbage non-HTTP bytes; /reset status line then RST; /stall half a
 * body then silence; /big 10 MiB Content-Length body; /bigchunked 10 MiB chunked;
 * /longhead endless header lines; /chunked "hello world" in two chunks.
 */
const [ip, port] = process.argv.slice(2);
const MiB = 1024 * 1024;
const block = new Uint8Array(64 * 1024).fill(0x61);

function streamBlocks(s: import("bun").Socket<{ left: number; chunked: boolean; rest?: Uint8Array }>): void {
  while (s.data.left > 0) {
    const n = Math.min(block.length, s.data.left);
    const piece = s.data.chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), block.subarray(0, n), Buffer.from("\r\n")]) : block.subarray(0, n);
    const w = s.write(piece);
    if (w < piece.length) {
      // simplest back-pressure: a partial write of this test server ends the stream early only if
      // the socket is gone; otherwise retry the rest of this piece on drain
      s.data.left -= n;
      s.data.rest = piece.subarray(Math.max(0, w));
      return;
    }
    s.data.left -= n;
  }
  if (s.data.chunked) s.write("0\r\n\r\n");
  s.end();
}

Bun.listen<{ left: number; chunked: boolean; rest?: Uint8Array }>({
  hostname: ip as string,
  port: Number(port),
  socket: {
    open(s) {
      s.data = { left: 0, chunked: false };
    },
    data(s, d) {
      const path = d.toString("latin1").split(" ")[1] ?? "";
      if (path === "/ok") {
        s.write("HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
        s.end();
      } else if (path === "/chunked") {
        s.write(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
        s.end();
      } else if (path === "/garbage") {
        s.write("SSH-2.0-OpenSSH_9.2p1 Debian\r\n\r\n\x00\x01\x02");
        s.end();
      } else if (path === "/reset") {
        s.write("HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        setTimeout(() => s.terminate(), 50);
      } else if (path === "/stall") {
        s.write("HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
      } else if (path === "/longhead") {
        s.write("HTTP/1.0 200 OK\r\n");
        for (let i = 0; i < 400; i++) s.write(`X-Filler-${i}: ${"f".repeat(100)}\r\n`);
      } else if (path === "/big" || path === "/bigchunked") {
        const chunked = path === "/bigchunked";
        s.write(
          chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" : `HTTP/1.0 200 OK\r\nContent-Length: ${10 * MiB}\r\n\r\n`,
        );
        s.data = { left: 10 * MiB, chunked };
        streamBlocks(s);
      }
    },
    drain(s) {
      const h = s.data;
      if (h.rest && h.rest.length > 0) {
        const w = s.write(h.rest);
        h.rest = h.rest.subarray(Math.max(0, w));
        if (h.rest.length > 0) return;
      }
      streamBlocks(s);
    },
  },
});
