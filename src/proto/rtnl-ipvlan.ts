/**
 * RTM_NEWLINK creating an ipvlan (Linux UAPI linux/if_link.h: IFLA_INFO_KIND "ipvlan", IFLA_IPVLAN_MODE
 * u16 = IPVLAN_MODE_L2/L3/L3S, IFLA_IPVLAN_FLAGS u16 = IPVLAN_F_PRIVATE / IPVLAN_F_VEPA, bridge = 0),
 * like `ip link add link P name N type ipvlan mode l2 [bridge|private|vepa]`, for keepalived's
 * `use_ipvlan` (keepalived.conf(5): "a mode L2 ipvlan interface on top of the specified interface").
 * Attribute order as iproute2 sends it: IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO.
 */
import { NLM_F, nlmsg } from "./netlink.ts";
import { concatBytes, nlaNested, nlaString, nlaStringRaw, nlaU16, nlaU32 } from "./netlink-attr.ts";
import { RTM } from "./rtnl-const.ts";
import { IFINFOMSG_LEN, IFLA, IFLA_INFO } from "./rtnl-link.ts";

/** IFLA_IPVLAN_* (nested in IFLA_INFO_DATA for kind "ipvlan"). */
export const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const;
/** IFLA_IPVLAN_MODE values. */
export const IPVLAN_MODE = { L2: 0, L3: 1, L3S: 2 } as const;
/** IFLA_IPVLAN_FLAGS values by keepalived's mode words (bridge is no flag). */
export const IPVLAN_FLAGS = { bridge: 0, private: 0x01, vepa: 0x02 } as const;

/** What an ipvlan is made with. */
export interface IpvlanRequest {
  /** New interface name, e.g. "vrrp.51". */
  name: string;
  /** Lower (parent) interface index. */
  parentIndex: number;
  /** @default "bridge" */
  flags?: keyof typeof IPVLAN_FLAGS;
}

/** The RTM_NEWLINK request (NLM_F_CREATE | NLM_F_EXCL, acked); mode L2, as keepalived makes them. */
export function encodeIpvlanAdd(r: IpvlanRequest, seq: number): Uint8Array {
  const body = concatBytes(
    new Uint8Array(IFINFOMSG_LEN), // struct ifinfomsg: AF_UNSPEC, no index, no flags
    nlaU32(IFLA.LINK, r.parentIndex),
    nlaString(IFLA.IFNAME, r.name),
    nlaNested(IFLA.LINKINFO, [
      nlaStringRaw(IFLA_INFO.KIND, "ipvlan"),
      nlaNested(IFLA_INFO.DATA, [nlaU16(IFLA_IPVLAN.MODE, IPVLAN_MODE.L2), nlaU16(IFLA_IPVLAN.FLAGS, IPVLAN_FLAGS[r.flags ?? "bridge"])]),
    ]),
  );
  return nlmsg(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, seq, body);
}
