/**
 * What mehdy/keepalived-exporter reads from keepalived's text dumps (its internal/collector/parser.go and
 * setter.go, read for the field names and rules; this is our own code): from keepalived.data, per
 * " VRRP Instance = NAME" block, the keys State, Wantstate (INIT/BACKUP/MASTER/FAULT or the exporter
 * errors), Interface, Gratuitous ARP delay and Virtual Router ID (integers or it errors) and the
 * addresses under "Virtual IP (N):" (address and dev: the 1st and 3rd words); per " VRRP Script = NAME"
 * block, Status and State; from keepalived.stats, per "VRRP Instance: NAME", the counters of the
 * sections Advertisements, Packet Errors, Authentication Errors, Priority Zero and the lines Became
 * master / Released master (integers or it errors).
 */

const STATES = ["INIT", "BACKUP", "MASTER", "FAULT"];

/** One instance as the exporter sees it. */
export interface ExporterInstance {
  state: number;
  wantState: number;
  intf: string;
  garpDelay: number;
  vrid: number;
  vips: { address: string; dev: string }[];
}

function stateNum(v: string, what: string): number {
  const i = STATES.indexOf(v);
  if (i < 0) throw new Error(`the exporter rejects ${what} '${v}'`);
  return i;
}

function int(v: string, what: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`the exporter cannot parse ${what} '${v}'`);
  return Number(v);
}

function splitKv(l: string): [string, string] | undefined {
  const t = l.trim();
  const sep = t.includes("=") ? "=" : t.includes(":") ? ":" : undefined;
  if (!sep) return undefined;
  const [k, v = ""] = t.split(sep);
  return [k!.trim(), v.trim()];
}

function applyKey(inst: ExporterInstance, key: string, val: string): void {
  if ((key.startsWith("Virtual IP (") || key === "Virtual IP") && val !== "") {
    const w = val.split(" ");
    if (w.length < 3) throw new Error(`the exporter cannot parse VIP '${val}'`);
    inst.vips.push({ address: w[0]!, dev: w[2]! });
  }
  if (key === "State") inst.state = stateNum(val, "state");
  else if (key === "Wantstate") inst.wantState = stateNum(val, "wantstate");
  else if (key === "Interface" || key === "Listening device") inst.intf = val;
  else if (key === "Gratuitous ARP delay") inst.garpDelay = int(val, "garp delay");
  else if (key === "Virtual Router ID") inst.vrid = int(val, "vrid");
}

/** keepalived.data's instances. */
export function parseVrrpData(text: string): Record<string, ExporterInstance> {
  const out: Record<string, ExporterInstance> = {};
  let cur: ExporterInstance | undefined;
  let key = "";
  for (const l of text.split("\n")) {
    if (l.startsWith(" VRRP Instance") && l.includes("=")) {
      cur = { state: -1, wantState: -1, intf: "", garpDelay: 0, vrid: 0, vips: [] };
      out[l.split("=")[1]!.trim()] = cur;
      continue;
    }
    if (!cur || !l.startsWith("   ")) {
      cur = undefined;
      continue;
    }
    let val: string;
    if (l.startsWith("     ")) val = l.trim();
    else {
      const kv = splitKv(l);
      if (!kv) continue;
      key = kv[0];
      if (key === "Virtual IP") continue;
      val = kv[1];
    }
    applyKey(cur, key, val);
  }
  return out;
}

/** keepalived.data's scripts: name, Status, State. */
export function parseScripts(text: string): { name: string; status: string; state: string }[] {
  const out: { name: string; status: string; state: string }[] = [];
  let cur: { name: string; status: string; state: string } | undefined;
  for (const l of text.split("\n")) {
    if (l.startsWith(" VRRP Script") && l.includes("=")) {
      cur = { name: l.split("=")[1]!.trim(), status: "", state: "" };
      out.push(cur);
    } else if (cur && l.startsWith("   ")) {
      // A block line without "=" (e.g. "   Tracking instances :") is skipped, not an end.
      if (!l.includes("=")) continue;
      const [k, v] = splitKv(l)!;
      if (k === "Status") cur.status = v;
      if (k === "State") cur.state = v;
    } else if (!l.startsWith("    ")) cur = undefined;
  }
  return out;
}

/** keepalived.stats: instance -> "Section/Key" -> value. */
export function parseStats(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  let inst = "", section = "";
  for (const l of text.split("\n")) {
    if (l.startsWith("VRRP Instance") && l.includes(":")) {
      inst = l.split(":")[1]!.trim();
      out[inst] = {};
    } else if (l.startsWith("  ") && l.endsWith(":")) section = l.trim().slice(0, -1);
    else if (l.startsWith("    ") && section) {
      const [k, v] = l.trim().split(":");
      out[inst]![`${section}/${k!.trim()}`] = int(v!.trim(), k!.trim());
    } else if (l.startsWith("  ") && !l.startsWith("    ")) {
      const [k, v] = l.trim().split(":");
      section = "";
      out[inst]![k!.trim()] = int(v!.trim(), k!.trim());
    }
  }
  return out;
}
