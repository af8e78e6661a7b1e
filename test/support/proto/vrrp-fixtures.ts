/** Loads the keepalived 2.2.7 capture fixtures in test/fixtures/vrrp/ (see capture.sh there). */
import { readFileSync } from "node:fs";

/** One captured Ethernet frame. */
export interface CapturedFrame {
  /** Seconds since the first captured frame. */
  t: number;
  kind: "vrrp4" | "vrrp6" | "ah" | "arp" | "na";
  hex: string;
}

/** A fixture file: the keepalived config used and the frames it sent. */
export interface Fixture {
  note: string;
  config: string;
  peerConfig?: string;
  packets: CapturedFrame[];
}

/** Reads test/fixtures/vrrp/NAME.json. */
export function loadFixture(name: string): Fixture {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/vrrp/${name}.json`, import.meta.url), "utf8"),
  ) as Fixture;
}

/** Hex string to bytes. */
export function unhex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, "hex"));
}

/** Bytes to hex string. */
export function tohex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** The frames of one kind, as bytes. */
export function framesOf(f: Fixture, kind: CapturedFrame["kind"]): Uint8Array[] {
  return f.packets.filter((p) => p.kind === kind).map((p) => unhex(p.hex));
}
