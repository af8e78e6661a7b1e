/**
 * `timer_expired_backup [HIGHEST_PRIORITY_OF_OTHER_INSTANCES]` (a per-instance keyword of keepalived
 * releases after 2.2.7, which rejects it as unknown; keepalived.conf(5) of those releases): a MASTER with
 * nopreempt whose Adver_Timer fires so late (the process was not scheduled: a loaded host, a paused VM)
 * that a backup of the given priority (default 254) has seen its Master_Down_Interval run out since our
 * last advert, may have been replaced; rather than come back and fight it, it goes BACKUP.
 * Master_Down_Interval of that backup (RFC 5798 §6.1): down_timer_adverts x Advertisement_Interval +
 * Skew_Time(priority). Pure: the runner (src/vrrp/instance.ts) calls it when the Adver_Timer fires.
 */
import { skewTimeMs, type VrrpFsmConfig } from "./fsm.ts";

/** Master_Down_Interval, ms, of a backup with priority `other` for this instance's timing. */
export function otherMasterDownMs(c: Pick<VrrpFsmConfig, "version" | "advertIntervalCs" | "downTimerAdverts">, other: number): number {
  return c.downTimerAdverts * c.advertIntervalCs * 10 + skewTimeMs(c.version, other, c.advertIntervalCs);
}

/**
 * Whether a MASTER whose advert was due at `dueMs` (one Advertisement_Interval after the last one sent),
 * woken at `nowMs`, should go BACKUP. `highestOther`: timer_expired_backup's priority, null = keyword absent.
 */
export function lateMasterYields(
  c: Pick<VrrpFsmConfig, "version" | "advertIntervalCs" | "downTimerAdverts" | "preempt">,
  highestOther: number | null,
  dueMs: number,
  nowMs: number,
): boolean {
  if (highestOther === null || c.preempt) return false;
  const lastSentMs = dueMs - c.advertIntervalCs * 10;
  return nowMs - lastSentMs >= otherMasterDownMs(c, highestOther);
}
