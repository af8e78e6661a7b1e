/**
 * Runs an SmtpSink as its own process (for namespace tests: `ip netns exec NS bun test/support/alert/sink-main.ts
 * PORT OUTFILE [USER PASS]`). Each received message is appended to OUTFILE as one JSON line; "listening"
 * is printed once the port is open. Ends on SIGTERM.
 */
import { appendFileSync } from "node:fs";
import { SmtpSink } from "./smtp-sink.ts";

const [port, out, user, pass] = process.argv.slice(2);
const sink = await SmtpSink.start({
  host: "127.0.0.1",
  port: Number(port),
  auth: user ? { user, pass: pass ?? "" } : undefined,
});
let written = 0;
const timer = setInterval(() => {
  while (written < sink.received.length) {
    appendFileSync(out!, JSON.stringify(sink.received[written++]) + "\n");
  }
}, 20);
process.on("SIGTERM", () => {
  clearInterval(timer);
  void sink.stop().then(() => process.exit(0));
});
console.log("listening");
