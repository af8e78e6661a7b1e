/**
 * src/ffi/tun.ts in a namespace of its own (kbg-t): the device exists while the fd is open, vanishes
 * with it, also when the holder is SIGKILLed, and a persistent leftover of the same name is taken over
 * and made to die with us too. Names that are not TUN devices are refused with the name in the error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Netns, waitFor } from "../support/netns.ts";

const HOLDER = `
import { openTun } from "${import.meta.dir}/../../src/ffi/tun.ts";
const name = process.argv[2];
try { openTun(name); console.log("open"); } catch (e) { console.log(String(e)); process.exit(3); }
setInterval(() => {}, 1 << 30);
`;
let ns: Netns;
const script = "/tmp/kbg-tun-holder.ts";

beforeAll(async () => {
  ns = new Netns("kbg-t");
  await Bun.write(script, HOLDER);
});
afterAll(async () => {
  await ns?.destroy();
  await Bun.file(script).delete();
});

async function hold(name: string) {
  const p = ns.spawn([process.execPath, script, name], { stdout: "pipe" });
  const reader = p.stdout as ReadableStream<Uint8Array>;
  const first = new TextDecoder().decode((await reader.getReader().read()).value).trim();
  return { p, first };
}
const exists = (name: string) => ns.exec(["ip", "link", "show", name], { allowFail: true }).includes(`${name}:`);

describe("non-persistent TUN device", () => {
  test("lives as long as its holder; SIGKILL removes it", async () => {
    const { p, first } = await hold("ka-bgp");
    expect(first).toBe("open");
    expect(exists("ka-bgp")).toBe(true);
    p.kill("SIGKILL");
    await p.exited;
    await waitFor("ka-bgp to vanish", () => !exists("ka-bgp"));
  }, 30_000);

  test("a persistent leftover of the same name is taken over and dies with us", async () => {
    ns.ip("tuntap", "add", "ka-old", "mode", "tun");
    const { p, first } = await hold("ka-old");
    expect(first).toBe("open");
    p.kill("SIGKILL");
    await p.exited;
    await waitFor("ka-old to vanish", () => !exists("ka-old"));
  }, 30_000);

  test("a name that is not a TUN device is refused, naming it", async () => {
    const { p, first } = await hold("lo");
    expect(first).toContain("ioctl TUNSETIFF lo: EINVAL");
    expect(await p.exited).toBe(3);
  }, 30_000);
});
