/**
 * Generic netlink (Linux UAPI linux/genetlink.h): the 4-byte genlmsghdr (cmd, version) that follows
 * nlmsghdr, and the "nlctrl" controller's CTRL_CMD_GETFAMILY, which resolves a family name such as
 * "IPVS" to its dynamic message type and lists its operations and multicast groups. keepalived's
 * checker process uses it once at start-up to find the IPVS family.
 *
 * Host byte order: little-endian assumed (see netlink.ts).
 */
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader, concatBytes, nlaString, nlaU16 } from "./netlink-attr.ts";

/** Size of struct genlmsghdr. */
export const GENL_HDRLEN = 4;
/** Fixed message type of the generic netlink controller ("nlctrl"). */
export const GENL_ID_CTRL = 0x10;

/** Controller commands. */
export const CTRL_CMD = { NEWFAMILY: 1, DELFAMILY: 2, GETFAMILY: 3, NEWOPS: 4, DELOPS: 5, GETOPS: 6, NEWMCAST_GRP: 7, DELMCAST_GRP: 8 } as const;

/** Controller attributes. */
export const CTRL_ATTR = {
  FAMILY_ID: 1,
  FAMILY_NAME: 2,
  VERSION: 3,
  HDRSIZE: 4,
  MAXATTR: 5,
  OPS: 6,
  MCAST_GROUPS: 7,
  POLICY: 8,
  OP_POLICY: 9,
  OP: 10,
} as const;

/** Attributes of one entry in CTRL_ATTR_OPS. */
export const CTRL_ATTR_OP = { ID: 1, FLAGS: 2 } as const;
/** Attributes of one entry in CTRL_ATTR_MCAST_GROUPS. */
export const CTRL_ATTR_MCAST_GRP = { NAME: 1, ID: 2 } as const;

/** A generic netlink message: netlink header, genl header and the raw attribute bytes after it. */
export interface GenlMessage {
  /** Family id (nlmsg_type). */
  family: number;
  flags: number;
  seq: number;
  pid: number;
  cmd: number;
  version: number;
  /** Attribute bytes following genlmsghdr. */
  attrs: Uint8Array;
}

/** Builds a generic netlink message: nlmsghdr + genlmsghdr(cmd, version) + attributes. */
export function genlmsg(family: number, cmd: number, version: number, flags: number, seq: number, attrs: Uint8Array, pid = 0): Uint8Array {
  return nlmsg(family, flags, seq, concatBytes(Uint8Array.of(cmd, version, 0, 0), attrs), pid);
}

/** Splits the genl header off a netlink message. */
export function parseGenl(msg: NlMessage): Result<GenlMessage> {
  const p = msg.payload;
  if (p.length < GENL_HDRLEN) return { ok: false, reason: `genlmsghdr truncated: ${p.length} bytes, need 4` };
  const h = msg.header;
  return {
    ok: true,
    value: { family: h.type, flags: h.flags, seq: h.seq, pid: h.pid, cmd: p[0]!, version: p[1]!, attrs: p.subarray(GENL_HDRLEN) },
  };
}

/** CTRL_CMD_GETFAMILY by name (ipvsadm/libnl send version 1 with NLM_F_ACK; `genl` sends version 0). */
export function encodeGetFamily(name: string, seq: number, opts: { version?: number; pid?: number } = {}): Uint8Array {
  return genlmsg(GENL_ID_CTRL, CTRL_CMD.GETFAMILY, opts.version ?? 1, NLM_F.REQUEST | NLM_F.ACK, seq, nlaString(CTRL_ATTR.FAMILY_NAME, name), opts.pid ?? 0);
}

/** CTRL_CMD_GETFAMILY by id. */
export function encodeGetFamilyById(id: number, seq: number, version = 1): Uint8Array {
  return genlmsg(GENL_ID_CTRL, CTRL_CMD.GETFAMILY, version, NLM_F.REQUEST | NLM_F.ACK, seq, nlaU16(CTRL_ATTR.FAMILY_ID, id));
}

/** CTRL_CMD_GETFAMILY dump of every family (like `genl ctrl list`). */
export function encodeFamilyDump(seq: number, version = 1): Uint8Array {
  return genlmsg(GENL_ID_CTRL, CTRL_CMD.GETFAMILY, version, NLM_F.REQUEST | NLM_F.DUMP, seq, new Uint8Array(0));
}

/** A generic netlink family as the controller describes it. */
export interface GenlFamily {
  /** Dynamic message type to use for this family. */
  id: number;
  name: string;
  version: number;
  /** Size of the family's own header after genlmsghdr, bytes. */
  hdrSize: number;
  maxAttr: number;
  ops: { id: number; flags: number }[];
  /** Multicast groups; `id` is the group number for NETLINK_ADD_MEMBERSHIP. */
  mcastGroups: { name: string; id: number }[];
}

function nestedList(r: AttrReader, type: number, ctx: string): AttrReader[] {
  const outer = r.nested(type, ctx);
  if (!outer) return [];
  const items: AttrReader[] = [];
  outer.attrs.forEach((a, i) => {
    const inner = AttrReader.parse(a.value, `${r.context}/${ctx}[${i}]`);
    if (inner.ok) items.push(inner.value);
    else r.error ??= inner.reason;
  });
  return items;
}

/** Parses a CTRL_CMD_NEWFAMILY message (the reply to GETFAMILY, or one entry of a dump). */
export function parseFamily(msg: NlMessage): Result<GenlFamily> {
  const g = parseGenl(msg);
  if (!g.ok) return g;
  if (g.value.family !== GENL_ID_CTRL) return { ok: false, reason: `message type ${g.value.family} is not nlctrl` };
  if (g.value.cmd !== CTRL_CMD.NEWFAMILY) return { ok: false, reason: `nlctrl command ${g.value.cmd} is not NEWFAMILY` };
  const ar = AttrReader.parse(g.value.attrs, "CTRL_ATTR");
  if (!ar.ok) return ar;
  const r = ar.value;
  const id = r.u16(CTRL_ATTR.FAMILY_ID);
  const name = r.str(CTRL_ATTR.FAMILY_NAME);
  if (id === undefined || name === undefined) {
    return { ok: false, reason: r.error ?? "CTRL_ATTR: family reply without CTRL_ATTR_FAMILY_ID or CTRL_ATTR_FAMILY_NAME" };
  }
  const ops = nestedList(r, CTRL_ATTR.OPS, "OPS").map((o) => {
    const op = { id: o.u32(CTRL_ATTR_OP.ID) ?? 0, flags: o.u32(CTRL_ATTR_OP.FLAGS) ?? 0 };
    r.adopt(o);
    return op;
  });
  const mcastGroups = nestedList(r, CTRL_ATTR.MCAST_GROUPS, "MCAST_GROUPS").map((o) => {
    const grp = { name: o.str(CTRL_ATTR_MCAST_GRP.NAME) ?? "", id: o.u32(CTRL_ATTR_MCAST_GRP.ID) ?? 0 };
    r.adopt(o);
    return grp;
  });
  return r.result({
    id,
    name,
    version: r.u32(CTRL_ATTR.VERSION) ?? 0,
    hdrSize: r.u32(CTRL_ATTR.HDRSIZE) ?? 0,
    maxAttr: r.u32(CTRL_ATTR.MAXATTR) ?? 0,
    ops,
    mcastGroups,
  });
}
