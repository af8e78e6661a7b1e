/**
 * SMTP_CHECK (keepalived.conf(5)): connect, read the 220 greeting, send HELO helo_name,
 * expect 250, send QUIT. Replies follow RFC 5321 4.2 (multi-line "250-" continuation lines,
 * last line "250 "); a reply longer than 4096 bytes fails the check.
 */
import { runStream } from "./stream.ts";
import { type CheckResult, type Endpoint, fail, pass, type RunCheck } from "./types.ts";

/** keepalived 2.2.7's HELO name for SMTP_CHECK without helo_name (its checker dump in the VM). */
export const SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org";

/** Options of one SMTP_CHECK. */
export interface SmtpCheckOptions {
  endpoint: Endpoint;
  /** Overall deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
  /** Name sent with HELO. @default SMTP_DEFAULT_HELO */
  heloName?: string;
}

/** Largest reply (all lines) accepted, in bytes. */
const MAX_REPLY_BYTES = 4096;

/** Accumulates reply lines; returns the code of a complete reply, or a parse error. */
export class SmtpReplyReader {
  private buf = "";
  /** Feeds bytes; returns {code} when a final reply line arrived, {error} on junk. */
  push(chunk: Uint8Array): { code?: number; error?: string } {
    this.buf += String.fromCharCode(...chunk);
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).replace(/\r$/, "");
      this.buf = this.buf.slice(nl + 1);
      const m = /^(\d{3})([ -]|$)/.exec(line);
      if (!m) return { error: `bad reply line ${JSON.stringify(line.slice(0, 60))}` };
      if (m[2] !== "-") {
        this.buf = "";
        return { code: Number(m[1]) };
      }
    }
    if (this.buf.length > MAX_REPLY_BYTES) return { error: `reply line exceeds ${MAX_REPLY_BYTES} bytes` };
    return {};
  }
}

/** Builds an SMTP_CHECK attempt. */
export function makeSmtpCheck(opts: SmtpCheckOptions): RunCheck {
  const helo = opts.heloName ?? SMTP_DEFAULT_HELO;
  return (signal) => {
    let step: "greeting" | "helo" = "greeting";
    let total = 0;
    const reader = new SmtpReplyReader();
    return runStream(opts.endpoint, opts.connectTimeoutMs, signal, {
      onOpen: () => undefined,
      onData: (chunk, io): CheckResult | undefined => {
        total += chunk.length;
        if (total > MAX_REPLY_BYTES * 4) return fail(`smtp: ${step}: too much data`);
        const r = reader.push(chunk);
        if (r.error !== undefined) return fail(`smtp: ${step}: ${r.error}`);
        if (r.code === undefined) return undefined;
        if (step === "greeting") {
          if (r.code !== 220) return fail(`smtp: greeting code ${r.code}, want 220`);
          step = "helo";
          io.send(`HELO ${helo}\r\n`);
          return undefined;
        }
        if (r.code !== 250) return fail(`smtp: HELO reply code ${r.code}, want 250`);
        io.send("QUIT\r\n");
        return pass("smtp: 250 to HELO");
      },
      onEnd: () => fail(`smtp: ${step}: connection closed by server`),
      phase: () => `smtp: ${step}`,
    });
  };
}
