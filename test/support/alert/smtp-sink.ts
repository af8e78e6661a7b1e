/**
 * A real SMTP server for alert tests (the smtp-server package): plain, or requiring STARTTLS and AUTH.
 * Received messages are kept with their envelope and raw text. Listens on 127.0.0.1 or any address
 * the caller gives (inside a namespace when run from one).
 */
import { SMTPServer } from "smtp-server";

/** One received message. */
export interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
  secure: boolean;
  helo: string;
}

/** Sink options. */
export interface SinkOptions {
  host?: string;
  port: number;
  /** Require STARTTLS then AUTH with these credentials. */
  auth?: { user: string; pass: string };
}

/** A running SMTP sink. */
export class SmtpSink {
  #server: SMTPServer;

  private constructor(server: SMTPServer, readonly received: Received[], readonly authFailures: string[]) {
    this.#server = server;
  }

  /** Starts the sink; resolves when it listens. */
  static async start(o: SinkOptions): Promise<SmtpSink> {
    const received: Received[] = [];
    const authFailures: string[] = [];
    const server = new SMTPServer({
      logger: false,
      disableReverseLookup: true,
      authOptional: !o.auth,
      allowInsecureAuth: false,
      hideSTARTTLS: !o.auth,
      authMethods: ["PLAIN", "LOGIN"],
      onAuth(auth, _session, cb) {
        if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) {
          return cb(null, { user: auth.username });
        }
        authFailures.push(auth.username ?? "");
        cb(new Error("bad credentials"));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
            user: session.user as string | undefined,
            secure: session.secure,
            helo: session.hostNameAppearsAs,
          });
          cb();
        });
      },
    });
    const sink = new SmtpSink(server, received, authFailures);
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen(o.port, o.host ?? "127.0.0.1", () => res());
    });
    return sink;
  }

  /** Stops listening and closes connections. */
  async stop(): Promise<void> {
    await new Promise<void>((res) => this.#server.close(() => res()));
  }
}

/** Splits a raw message into lower-cased headers (unfolded) and the decoded-enough body. */
export function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join("\n\n");
  if (/quoted-printable/i.test(headers["content-transfer-encoding"] ?? "")) {
    body = body.replace(/=\r?\n/g, "").replace(
      /=([0-9A-F]{2})/g,
      (_m, h: string) => String.fromCharCode(parseInt(h, 16)),
    );
  }
  return { headers, body: body.replace(/\r\n/g, "\n") };
}
