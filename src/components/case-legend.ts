// The cases of SPEC §4 as the charts show them: one label and one colour each, everywhere.
import type { CaseCounts } from "@/pipeline/api";

export interface CaseSeries {
  key: keyof CaseCounts;
  label: string;
  color: string;
}

/** Records of a batch by what the run does with them. */
export const RECORD_CASES: readonly CaseSeries[] = [
  { key: "newAccountRecords", label: "New account (I)", color: "var(--indigo-9)" },
  { key: "forwardRecords", label: "Forward (II)", color: "var(--teal-9)" },
  { key: "backfillRecords", label: "Backfill (III)", color: "var(--amber-9)" },
  { key: "deleteRecords", label: "Delete", color: "var(--red-9)" },
  { key: "ignoredDeletes", label: "Ignored delete", color: "var(--pink-7)" },
  { key: "staleRecords", label: "Stale", color: "var(--gray-8)" },
  { key: "duplicates", label: "Duplicate", color: "var(--gray-6)" },
  { key: "quarantined", label: "Quarantined", color: "var(--orange-10)" },
];

/** Summary rows a run writes. */
export const ROW_SERIES: readonly CaseSeries[] = [
  { key: "rowsInserted", label: "Rows inserted", color: "var(--grass-9)" },
  { key: "rowsUpdated", label: "Rows rewritten", color: "var(--cyan-9)" },
];

/** The phases of a run in the order they happen, with a colour each. */
export const PHASES: readonly { key: string; label: string; color: string }[] = [
  { key: "discover", label: "Discover", color: "var(--gray-8)" },
  { key: "read", label: "Read", color: "var(--blue-8)" },
  { key: "stage", label: "Stage", color: "var(--violet-8)" },
  { key: "classify", label: "Classify", color: "var(--amber-9)" },
  { key: "execute", label: "Execute buckets", color: "var(--indigo-9)" },
  { key: "finalize", label: "Finalize", color: "var(--grass-9)" },
];

/** Bucket statuses in the timeline. */
export const BUCKET_STATUS_COLORS: Record<string, string> = {
  succeeded: "var(--grass-9)",
  failed: "var(--red-9)",
  retrying: "var(--amber-9)",
};
