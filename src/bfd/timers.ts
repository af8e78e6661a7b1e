/**
 * BFD timer formulas (pure), named after RFC 5880:
 * - §6.8.2 / §6.8.7 transmit interval: the larger of bfd.DesiredMinTxInterval and bfd.RemoteMinRxInterval,
 *   reduced per packet by a random jitter of 0–25 % (75–100 % of the interval), or to 75–90 % when
 *   bfd.DetectMult is 1;
 * - §6.8.4 Detection Time in Asynchronous mode: the remote Detect Mult times the larger of our
 *   bfd.RequiredMinRxInterval and the remote's last Desired Min TX Interval.
 * Intervals are microseconds (as on the wire); deadlines are milliseconds on the caller's clock.
 */

/** A random source in [0, 1), injected so tests are deterministic. */
export type Rand = () => number;

/** Negotiated transmit interval, µs (RFC 5880 §6.8.7): max(our desired min TX, remote required min RX). */
export function txIntervalUs(desiredMinTxUs: number, remoteMinRxUs: number): number {
  return Math.max(desiredMinTxUs, remoteMinRxUs);
}

/** Jitter bounds as fractions of the interval (RFC 5880 §6.8.7). */
export function jitterBounds(detectMult: number): { min: number; max: number } {
  return detectMult === 1 ? { min: 0.75, max: 0.9 } : { min: 0.75, max: 1 };
}

/** One jittered transmit delay, ms: the interval times a factor drawn from {@link jitterBounds}. */
export function jitteredDelayMs(intervalUs: number, detectMult: number, rand: Rand): number {
  const { min, max } = jitterBounds(detectMult);
  const r = Math.min(Math.max(rand(), 0), 1);
  // With r in [0, 1) the factor stays below `max`; clamp anyway so a bad source cannot break the RFC bound.
  const factor = Math.min(min + (max - min) * r, max);
  return (intervalUs * factor) / 1000;
}

/**
 * Detection Time, µs (RFC 5880 §6.8.4, Asynchronous mode): remote Detect Mult ×
 * max(our required min RX, remote desired min TX).
 */
export function detectionTimeUs(
  remoteDetectMult: number,
  requiredMinRxUs: number,
  remoteDesiredMinTxUs: number,
): number {
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs);
}

/** Converts keepalived's millisecond settings (fractional, µs resolution) to whole microseconds. */
export function msToUs(ms: number): number {
  return Math.round(ms * 1000);
}
