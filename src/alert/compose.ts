/**
 * What an alert mail says (keepalived.conf(5) "smtp_alert"): keepalived's subject lines
 * `[router_id] VRRP Instance X - Entering MASTER state`, `[router_id] VRRP Group X - Entering MASTER state`,
 * `[router_id] Realserver [ip]:port of virtual server [ip]:port - UP|DOWN` and
 * `[router_id] Virtualserver [ip]:port - UP|DOWN`, with a short body of our own wording. Pure: the time
 * comes in as an argument.
 */
import type { ServerStateName, VrrpStateName } from "../core/ipc.ts";

/** An event that may be mailed. */
export type AlertEvent =
  | {
    kind: "vrrp";
    instance: string;
    state: VrrpStateName;
    /** The state before, when known. */
    previous: VrrpStateName | null;
    priority: number;
    effectivePriority: number;
  }
  | { kind: "vrrpGroup"; group: string; state: VrrpStateName; previous: VrrpStateName | null }
  | { kind: "rs"; vs: string; rs: string; state: ServerStateName; weight: number }
  | { kind: "vs"; vs: string; state: ServerStateName };

/** Subject and plain-text body. */
export interface AlertText {
  subject: string;
  text: string;
}

/** The VRRP states that are mailed (keepalived mails these three). */
export const MAILED_VRRP_STATES: readonly VrrpStateName[] = ["MASTER", "BACKUP", "FAULT"];

const VRRP_MEANING: Partial<Record<VrrpStateName, string>> = {
  MASTER: "This router now holds the virtual addresses and sends the adverts.",
  BACKUP: "This router no longer holds the virtual addresses; it listens for a master's adverts.",
  FAULT: "This router cannot take part (a tracked interface, script or file reports a fault); it holds no virtual addresses.",
};

/** Breaks `text` into lines of at most `width` characters at spaces (mail bodies stay 7bit, unencoded). */
export function wrap(text: string, width = 72): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join("\n");
}

function lines(rows: [string, string][], closing: string, at: Date): string {
  const all: [string, string][] = [...rows, ["Time", at.toISOString()]];
  const w = Math.max(...all.map(([k]) => k.length)) + 1;
  return all.map(([k, v]) => `${(k + ":").padEnd(w + 1)}${v}`).join("\n") + `\n\n${wrap(closing)}\n`;
}

/** Subject and body for `ev`, sent by the router named `routerId`, at `at`. */
export function composeAlert(routerId: string, ev: AlertEvent, at: Date): AlertText {
  const tag = `[${routerId}]`;
  switch (ev.kind) {
    case "vrrp":
      return {
        subject: `${tag} VRRP Instance ${ev.instance} - Entering ${ev.state} state`,
        text: lines(
          [
            ["Router", routerId],
            ["VRRP instance", ev.instance],
            ["State", ev.previous ? `${ev.previous} -> ${ev.state}` : ev.state],
            ["Priority", `${ev.priority} (effective ${ev.effectivePriority})`],
          ],
          VRRP_MEANING[ev.state] ?? "",
          at,
        ),
      };
    case "vrrpGroup":
      return {
        subject: `${tag} VRRP Group ${ev.group} - Entering ${ev.state} state`,
        text: lines(
          [
            ["Router", routerId],
            ["VRRP sync group", ev.group],
            ["State", ev.previous ? `${ev.previous} -> ${ev.state}` : ev.state],
          ],
          `Every member instance of the group follows: ${VRRP_MEANING[ev.state] ?? ""}`,
          at,
        ),
      };
    case "rs":
      return {
        subject: `${tag} Realserver ${ev.rs} of virtual server ${ev.vs} - ${ev.state}`,
        text: lines(
          [
            ["Router", routerId],
            ["Virtual server", ev.vs],
            ["Real server", ev.rs],
            ["State", ev.state],
            ["Weight", String(ev.weight)],
          ],
          ev.state === "UP"
            ? "The real server passes its health checks again and takes traffic."
            : "The real server failed its health checks (after all retries) and takes no new traffic.",
          at,
        ),
      };
    case "vs":
      return {
        subject: `${tag} Virtualserver ${ev.vs} - ${ev.state}`,
        text: lines(
          [
            ["Router", routerId],
            ["Virtual server", ev.vs],
            ["State", ev.state],
          ],
          ev.state === "UP"
            ? "The virtual server has its quorum of healthy real servers again."
            : "The virtual server lost its quorum: too few healthy real servers (the sorry server, if any, takes over).",
          at,
        ),
      };
  }
}
