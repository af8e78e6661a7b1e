/**
 * Results that come from outside a checker's own probe: a BFD session's state (BFD_CHECK) and a tracked
 * file's value (FILE_CHECK), as checker results.
 */
import type { BfdStateName } from "../core/ipc.ts";
import { fileCheckVerdict, parseTrackFileValue } from "./checkers/file.ts";
import { type CheckResult, fail, pass } from "./checkers/types.ts";

/** A BFD state as a checker result: Up passes, anything else fails. */
export function bfdResult(state: BfdStateName): CheckResult {
  return state === "Up" ? pass("bfd: Up") : fail(`bfd: ${state}`);
}

/** A tracked file's text as a FILE_CHECK result. */
export function fileResult(text: string | undefined, weight: number, reverse: boolean): CheckResult {
  if (text === undefined) return fail("file: cannot read the track file");
  const v = parseTrackFileValue(text);
  return v.ok ? fileCheckVerdict(v.value, weight, reverse) : fail(v.reason);
}
