// Human-readable text of a run, its plan and a generated source: pure functions of the results.
import type { CaseCounts, RunResult } from "../api";
import type { GenerateResult } from "../generate/generate";
import type { Plan } from "../plan/classify";

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}

/** Rows of right-aligned columns, the first `left` columns left-aligned. */
export function table(rows: string[][], indent = "  ", left = 1): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => indent + row.map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ").trimEnd())
    .join("\n");
}

/** Bytes with a binary unit: 512 B, 1.5 KiB, 12.3 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The records of a batch per case, and the summary rows written (SPEC §4). */
export function renderCounts(c: CaseCounts, written: boolean): string {
  const records: [string, number][] = [
    ["read", c.read],
    ["new accounts", c.newAccounts],
    ["new-account records", c.newAccountRecords],
    ["forward", c.forwardRecords],
    ["backfill", c.backfillRecords],
    ["stale", c.staleRecords],
    ["deletes", c.deleteRecords],
    ["ignored deletes", c.ignoredDeletes],
    ["quarantined", c.quarantined],
    ["duplicates", c.duplicates],
    ["equal-ts conflicts", c.equalTimestampConflicts],
  ];
  const out = ["records", table(records.map(([k, v]) => [k, formatCount(v)]))];
  if (written) {
    const rows: [string, number][] = [
      ["inserted", c.rowsInserted],
      ["updated", c.rowsUpdated],
      ["latest rows", c.latestRowsWritten],
    ];
    out.push("summary rows", table(rows.map(([k, v]) => [k, formatCount(v)])));
  }
  return out.join("\n");
}

export function renderTimings(timings: Record<string, number>): string {
  const phases = Object.entries(timings).filter(([k]) => k !== "total");
  if (timings.total !== undefined) phases.push(["total", timings.total]);
  if (phases.length === 0) return "";
  return ["timings", table(phases.map(([k, v]) => [k, formatDuration(v)]))].join("\n");
}

/** The plan of a dry run: months affected per case, buckets, rows to write. */
export function renderPlan(plan: Plan): string {
  const out: string[] = [`input: ${plan.input}`];
  if (plan.months.length > 0) {
    out.push("months affected");
    out.push(
      table([
        ["month", "records", "new", "forward", "backfill", "delete", "stale"],
        ...plan.months.map((m) => [
          m.month,
          formatCount(m.records),
          formatCount(m.newAccount),
          formatCount(m.forward),
          formatCount(m.backfill),
          formatCount(m.delete),
          formatCount(m.stale),
        ]),
      ]),
    );
  }
  const sizes = plan.buckets.rows.map((b) => b.records);
  const spread = sizes.length > 0 ? ` (records per bucket ${formatCount(Math.min(...sizes))}–${formatCount(Math.max(...sizes))})` : "";
  out.push(`accounts: ${formatCount(plan.accounts.total)} (${formatCount(plan.accounts.fast)} on the fast path, ${formatCount(plan.accounts.full)} rebuilt)`);
  out.push(`buckets: ${formatCount(plan.buckets.count)}${spread}`);
  out.push(`rows to write: ${formatCount(plan.rowsToWrite.insert)} inserted, ${formatCount(plan.rowsToWrite.rewrite)} rewritten`);
  return out.join("\n");
}

/** The report printed at the end of a run (or a dry run). */
export function renderRun(result: RunResult, notes: string[]): string {
  const kind = result.dryRun ? "dry run" : "run";
  const lines = [`${kind} ${result.runId}: ${result.status} (${result.mode})`];
  for (const note of notes) lines.push(note);
  const nothingRead = result.counts.read === 0 && !result.plan;
  if (!nothingRead) {
    lines.push(renderCounts(result.counts, !result.dryRun));
    if (result.plan && result.dryRun) lines.push(renderPlan(result.plan));
  }
  const timings = renderTimings(result.timings);
  if (timings) lines.push(timings);
  if (result.dryRun && result.status === "succeeded") lines.push("dry run: nothing was written");
  return lines.join("\n") + "\n";
}

export function renderGenerated(res: GenerateResult, ms: number, append: boolean): string {
  const what = append
    ? `appended ${formatCount(res.rows)} records for ${res.firstMonth === res.lastMonth ? res.firstMonth : `${res.firstMonth}..${res.lastMonth}`} (${formatCount(res.accounts)} new accounts)`
    : `generated ${formatCount(res.rows)} records: ${formatCount(res.accounts)} accounts, ${res.firstMonth}..${res.lastMonth} (${res.batches} months)`;
  const where = res.files.length > 0 ? `${res.target} (${res.files.length} file${res.files.length === 1 ? "" : "s"})` : res.target;
  const next = append ? "next: summary-pipeline (an incremental run picks it up)" : "next: summary-pipeline --mode initial";
  return `${what} into ${where} in ${formatDuration(ms)}\n${next}\n`;
}
