/**
 * rtnetlink numbers shared by the address, link, route and rule codecs (Linux UAPI linux/rtnetlink.h,
 * linux/if_addr.h, linux/if_link.h, linux/fib_rules.h, linux/if.h). Values only; no logic.
 */

/** rtnetlink message types. */
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWRULE: 32,
  DELRULE: 33,
  GETRULE: 34,
} as const;

/** Legacy multicast group bitmask for sockaddr_nl.nl_groups. */
export const RTMGRP = {
  LINK: 0x1,
  NOTIFY: 0x2,
  NEIGH: 0x4,
  TC: 0x8,
  IPV4_IFADDR: 0x10,
  IPV4_MROUTE: 0x20,
  IPV4_ROUTE: 0x40,
  IPV4_RULE: 0x80,
  IPV6_IFADDR: 0x100,
  IPV6_MROUTE: 0x200,
  IPV6_ROUTE: 0x400,
  IPV6_IFINFO: 0x800,
} as const;

/** Multicast group numbers for NETLINK_ADD_MEMBERSHIP. */
export const RTNLGRP = {
  LINK: 1,
  NOTIFY: 2,
  NEIGH: 3,
  TC: 4,
  IPV4_IFADDR: 5,
  IPV4_MROUTE: 6,
  IPV4_ROUTE: 7,
  IPV4_RULE: 8,
  IPV6_IFADDR: 9,
  IPV6_MROUTE: 10,
  IPV6_ROUTE: 11,
  IPV6_IFINFO: 12,
  IPV6_RULE: 19,
} as const;

/** Address families. */
export const AF_UNSPEC = 0;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;

/** Route / address scopes (rtm_scope, ifa_scope). */
export const RT_SCOPE = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;

/** Route origin (rtm_protocol). 18 is registered for keepalived. */
export const RTPROT = {
  UNSPEC: 0,
  REDIRECT: 1,
  KERNEL: 2,
  BOOT: 3,
  STATIC: 4,
  DHCP: 16,
  KEEPALIVED: 18,
  BABEL: 42,
  BGP: 186,
  OSPF: 188,
} as const;

/** Route types (rtm_type). */
export const RTN = {
  UNSPEC: 0,
  UNICAST: 1,
  LOCAL: 2,
  BROADCAST: 3,
  ANYCAST: 4,
  MULTICAST: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  THROW: 9,
  NAT: 10,
} as const;

/** Reserved routing table ids. */
export const RT_TABLE = { UNSPEC: 0, DEFAULT: 253, MAIN: 254, LOCAL: 255 } as const;

/** Interface flags (ifi_flags, linux/if.h). */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  DEBUG: 0x4,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  ALLMULTI: 0x200,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
} as const;

/** RFC 2863 operational states (IFLA_OPERSTATE). */
export const IF_OPER = {
  UNKNOWN: 0,
  NOTPRESENT: 1,
  DOWN: 2,
  LOWERLAYERDOWN: 3,
  TESTING: 4,
  DORMANT: 5,
  UP: 6,
} as const;

/** Names of IF_OPER values, indexed by value. */
export const IF_OPER_NAMES = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"] as const;

/** Returns the family (AF_INET / AF_INET6) of address text. */
export function familyOf(addr: string): typeof AF_INET | typeof AF_INET6 {
  return addr.includes(":") ? AF_INET6 : AF_INET;
}
