// Formatting of run figures, fixed to one locale and UTC so the server render and the browser agree.
const counts = new Intl.NumberFormat("en-US");

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : counts.format(n);
}

/** 850 ms · 4.2 s · 3 min 05 s · 1 h 02 min */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** 2024-05-01 12:00:05 UTC */
export function formatUtc(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : "—";
}

/** Rows a run wrote: inserted + rewritten when it has counts, else the progress figure. */
export function rowsWrittenOf(run: { counts: { rowsInserted?: number; rowsUpdated?: number } | null; rowsWritten: number }): number {
  const c = run.counts;
  const fromCounts = (c?.rowsInserted ?? 0) + (c?.rowsUpdated ?? 0);
  return fromCounts > 0 ? fromCounts : run.rowsWritten;
}
