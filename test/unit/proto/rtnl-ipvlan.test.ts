/** encodeIpvlanAdd (src/proto/rtnl-ipvlan.ts) byte for byte: `ip link add link IF name vrrp.51 type ipvlan mode l2 private`. */
import { describe, expect, test } from "bun:test";
import { encodeIpvlanAdd } from "../../../src/proto/rtnl-ipvlan.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("encodeIpvlanAdd", () => {
  test("RTM_NEWLINK create|excl|ack, ifinfomsg zero, IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO{kind ipvlan, data{mode L2, flags}}", () => {
    const b = encodeIpvlanAdd({ name: "vrrp.51", parentIndex: 2, flags: "private" }, 7);
    expect(hex(b)).toBe(
      "58000000" + "1000" + "0506" + "07000000" + "00000000" + // nlmsghdr: len 88, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 7
        "00".repeat(16) + // struct ifinfomsg
        "08000500" + "02000000" + // IFLA_LINK = 2
        "0c000300" + Buffer.from("vrrp.51\0").toString("hex") + // IFLA_IFNAME
        "24001200" + // IFLA_LINKINFO (36 bytes)
        "0a000100" + Buffer.from("ipvlan").toString("hex") + "0000" + // IFLA_INFO_KIND, no NUL, padded
        "14000200" + // IFLA_INFO_DATA (20 bytes)
        "06000100" + "0000" + "0000" + // IFLA_IPVLAN_MODE = L2
        "06000200" + "0100" + "0000", // IFLA_IPVLAN_FLAGS = IPVLAN_F_PRIVATE
    );
  });

  test("bridge is no flag, vepa is 2", () => {
    const flags = (f: "bridge" | "vepa") => hex(encodeIpvlanAdd({ name: "v", parentIndex: 1, flags: f }, 1)).slice(-8); // the u16 value and its padding
    expect(flags("bridge")).toBe("00000000");
    expect(flags("vepa")).toBe("02000000");
  });
});
