/**
 * The state names that cross process boundaries (src/core/ipc.ts messages and src/core/control-state.ts
 * snapshots), each as the list a receiver validates against and the type derived from it.
 */

/** VRRP instance states (RFC 5798 §6.4, plus keepalived's FAULT, STOP and DELETED). */
export const VRRP_STATE_NAMES = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP", "DELETED"] as const;
export type VrrpStateName = (typeof VRRP_STATE_NAMES)[number];

/** BFD session states (RFC 5880 §4.1). */
export const BFD_STATE_NAMES = ["AdminDown", "Down", "Init", "Up"] as const;
export type BfdStateName = (typeof BFD_STATE_NAMES)[number];

/** Checker states of a virtual or real server. */
export const SERVER_STATE_NAMES = ["UP", "DOWN"] as const;
export type ServerStateName = (typeof SERVER_STATE_NAMES)[number];
