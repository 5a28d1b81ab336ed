// The engine's public entry points and result types: what the CLI, the server and tests call.
import type { PipelineConfig } from "./config/schema";
import type { Plan } from "./plan/classify";

export type RunMode = "initial" | "incremental";
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted" | "rolled_back";

/** Records and summary rows per case of SPEC §4. */
export interface CaseCounts {
  /** Source records read in this batch (before validation). */
  read: number;
  quarantined: number;
  /** Records that lost to another record of the same (account, month) inside this batch. */
  duplicates: number;
  /** Of those, conflicts with an equal timestamp, resolved by input order. */
  equalTimestampConflicts: number;
  newAccountRecords: number; // case I
  forwardRecords: number; // case II
  backfillRecords: number; // case III (late months and corrections)
  staleRecords: number; // older than what is already ingested
  deleteRecords: number; // tombstones applied to a month that had a live record
  ignoredDeletes: number; // tombstones for months that never had a live record
  newAccounts: number;
  rowsInserted: number;
  rowsUpdated: number;
  latestRowsWritten: number;
}

export function emptyCounts(): CaseCounts {
  return {
    read: 0,
    quarantined: 0,
    duplicates: 0,
    equalTimestampConflicts: 0,
    newAccountRecords: 0,
    forwardRecords: 0,
    backfillRecords: 0,
    staleRecords: 0,
    deleteRecords: 0,
    ignoredDeletes: 0,
    newAccounts: 0,
    rowsInserted: 0,
    rowsUpdated: 0,
    latestRowsWritten: 0,
  };
}

export type PipelineEvent =
  | {
      type: "run";
      runId: string;
      status: RunStatus;
      mode: RunMode;
      resumed: boolean;
      dryRun: boolean;
      input: string;
      configVersion: string | null;
      owner: string;
    }
  | {
      type: "progress";
      runId: string;
      phase: string;
      bucketsDone: number;
      bucketsTotal: number;
      rows: number;
      etaMs: number | null;
    }
  | {
      type: "bucket";
      runId: string;
      bucket: number;
      attempt: number;
      status: "succeeded" | "failed";
      rows: number;
      durationMs: number;
      counts: Partial<CaseCounts>;
      error?: string;
      retryable?: boolean;
    }
  | { type: "plan"; runId: string; plan: Plan }
  | { type: "log"; runId: string; level: "info" | "warn" | "error"; message: string };

export interface RunOptions {
  config: PipelineConfig;
  /** The config version id recorded with the run (control plane), if any. */
  configVersion?: string | null;
  mode?: RunMode;
  dryRun?: boolean;
  /** Continue a failed or interrupted run from its first uncommitted bucket. */
  resume?: string;
  onEvent?: (event: PipelineEvent) => void;
  /** Clock, for tests. */
  now?: () => Date;
  /** Cancels the run between buckets. */
  signal?: AbortSignal;
  /** Who started the run: "cli", "dashboard", "test". */
  trigger?: string;
  /** Test hooks: fault injection inside a bucket's transaction, and the backoff sleep. */
  hooks?: {
    beforeBucketCommit?: (bucket: number, attempt: number) => void | Promise<void>;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
  };
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  mode: RunMode;
  dryRun: boolean;
  counts: CaseCounts;
  /** Milliseconds per phase. */
  timings: Record<string, number>;
  plan?: Plan;
  error?: string;
  /** The error's code, when the run failed. */
  errorCode?: string;
}
