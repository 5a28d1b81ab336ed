// Retry with exponential backoff and full jitter (SPEC §7): attempt n (0-based) waits a uniform
// random delay in [0, min(max, base · 2^n)]. Errors no retry can fix fail at once.
import { PipelineError } from "../errors";

export interface BackoffPolicy {
  retryCount: number;
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

const PERMANENT = /^(Binder|Catalog|Parser|Conversion|Invalid Input|Not implemented|Constraint|Permission|Syntax|Dependency) Error/i;

/** Whether retrying the same work may succeed. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PipelineError) return err.retryable;
  const msg = err instanceof Error ? err.message : String(err);
  if (PERMANENT.test(msg)) return false;
  return true;
}
