/**
 * The one result type of the codecs in src/proto/: a parser returns the decoded value, or a failure
 * that names the check that failed. It never throws on wire input (docs/design.md, pure codecs).
 */

/** A failure with a readable reason naming the failed check, the bad value included. */
export interface Failure {
  ok: false;
  reason: string;
}

/**
 * A decoded value or why there is none. `F` is the failure shape: the default readable reason, or a
 * typed one where receive paths count reasons by code (BFD's BfdDiscard).
 */
export type Result<T, F extends { ok: false } = Failure> = { ok: true; value: T } | F;
