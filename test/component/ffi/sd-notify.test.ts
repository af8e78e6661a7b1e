import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { SOCK_DGRAM, Socket } from "../../../src/ffi/socket.ts";
import { AF_UNIX, sockaddrUn } from "../../../src/ffi/sockaddr.ts";
import { sdNotify } from "../../../src/ffi/sd-notify.ts";

test("sd_notify datagrams reach a path socket and an abstract one; no socket means no-op", () => {
  const path = `/tmp/ka-notify-${process.pid}.sock`;
  rmSync(path, { force: true });
  for (const where of [path, `@ka-notify-${process.pid}`]) {
    const rx = new Socket(AF_UNIX, SOCK_DGRAM, 0, 256);
    rx.bind(sockaddrUn(where));
    expect(sdNotify("READY=1\nSTATUS=2 children running", where)).toBe(true);
    expect(new TextDecoder().decode(rx.recv()!.data)).toBe("READY=1\nSTATUS=2 children running");
    rx.close();
  }
  rmSync(path, { force: true });
  expect(sdNotify("READY=1", undefined)).toBe(false);
});
