// Exit codes of `summary-pipeline`, one per kind of outcome a scheduler must tell apart (SPEC §10).
import type { RunResult } from "../api";

export const EXIT_OK = 0;
/** Anything not covered below: a source or engine failure, an unknown run, a feature not built yet. */
export const EXIT_FAILURE = 1;
/** Bad command line or config (commander errors, CONFIG_INVALID, USAGE). */
export const EXIT_USAGE = 2;
/** A run failed or was stopped and can be continued with `--resume <runId>`. */
export const EXIT_RESUMABLE = 3;
/** The engine database is held by another run (LOCKED). */
export const EXIT_LOCKED = 4;

/** The exit code of an error code of the engine. */
export function exitCodeOfError(code: string | undefined): number {
  switch (code) {
    case "CONFIG_INVALID":
    case "USAGE":
      return EXIT_USAGE;
    case "LOCKED":
      return EXIT_LOCKED;
    default:
      return EXIT_FAILURE;
  }
}

/** Whether a finished run can be continued with `--resume`: it was recorded, and retrying may help. */
export function isResumable(result: RunResult): boolean {
  if (result.dryRun || result.status === "succeeded") return false;
  return exitCodeOfError(result.errorCode) === EXIT_FAILURE;
}

/** The exit code of a finished run. */
export function exitCodeOfRun(result: RunResult): number {
  if (result.status === "succeeded") return EXIT_OK;
  if (isResumable(result)) return EXIT_RESUMABLE;
  return result.errorCode ? exitCodeOfError(result.errorCode) : EXIT_FAILURE;
}
