// The `--stats` report for people: tables, partitions, NULL density per array position and recent
// runs (case counts, phase timings) — a pure function of the collected stats.
import type { PipelineStats } from "../stats/stats";
import { formatBytes, formatCount, formatDuration, table } from "./render";

const PHASES = ["discover", "read", "stage", "classify", "execute", "check", "finalize", "optimize"];

/** A share 0..1 as a whole percent; a share that is not zero (or not all) never shows as 0 (or 100). */
function percent(p: number): string {
  if (p <= 0) return "0";
  if (p >= 1) return "100";
  const pct = Math.round(p * 100);
  return pct === 0 ? "<1" : pct === 100 ? ">99" : String(pct);
}

/** Percents for positions 0..L-1 on one line; a run of 4 or more equal values is written `v×n`. */
export function densityLine(density: number[]): string {
  const cells = density.map(percent);
  const out: string[] = [];
  for (let i = 0; i < cells.length; ) {
    let j = i;
    while (j < cells.length && cells[j] === cells[i]) j++;
    const n = j - i;
    if (n >= 4) out.push(`${cells[i]}×${n}`);
    else out.push(...cells.slice(i, j));
    i = j;
  }
  return out.join(" ");
}

function months(first: string | null, last: string | null): string {
  if (!first || !last) return "—";
  return first === last ? first : `${first}..${last}`;
}

export function renderStats(
  stats: PipelineStats,
  opts: { exists: boolean; summaryTable: string; sourceTable: string | null },
): string {
  const out: string[] = [];
  const db = stats.database;
  if (!opts.exists) {
    out.push(`engine database ${db.path} does not exist yet`);
    out.push("next: summary-pipeline --mode initial (after summary-pipeline generate, for a demo)");
    return out.join("\n") + "\n";
  }
  out.push(`engine database ${db.path}: ${formatBytes(db.bytes)} on disk (WAL ${db.walBytes})`);

  out.push("", "tables");
  const rows: string[][] = [["table", "rows", "accounts", "months", "bytes", "bytes/row"]];
  for (const t of stats.tables) {
    const name = t.name === opts.sourceTable ? `${t.name} (source)` : t.name;
    if (!t.exists) {
      rows.push([name, "—", "—", "not built yet", "—", "—"]);
      continue;
    }
    rows.push([
      name,
      formatCount(t.rows),
      t.accounts === null ? "—" : formatCount(t.accounts),
      months(t.firstMonth, t.lastMonth),
      formatBytes(t.bytes),
      t.bytesPerRow === null ? "—" : t.bytesPerRow.toFixed(1),
    ]);
  }
  out.push(table(rows));

  const summary = stats.tables.find((t) => t.name === opts.summaryTable);
  if (!summary?.exists || summary.rows === 0) {
    out.push("", `${opts.summaryTable} has no rows yet: run summary-pipeline --mode initial`);
  }

  const p = stats.partitions;
  if (p) {
    out.push("", `partitions of ${opts.summaryTable} (rows by account hash)`);
    out.push(
      `  ${formatCount(p.partitions)} partitions: min ${formatCount(p.min)} · mean ${formatCount(Math.round(p.mean * 10) / 10)} · max ${formatCount(p.max)} · skew ${p.skew.toFixed(3)} (max ÷ mean)`,
    );
  }

  if (stats.nullDensity.length > 0) {
    const sample = stats.nullDensity[0]?.sampleRows ?? 0;
    out.push("", `NULL density per array position (% NULL at positions 0..L-1, 0 = the row's month; ${formatCount(sample)} rows read)`);
    out.push(table(stats.nullDensity.map((d) => [`${d.column} (L=${d.historyLength})`, densityLine(d.density)]), "  ", 2));
  }

  if (stats.runs.length > 0) {
    out.push("", "recent runs, newest first: case counts (records) and summary rows written");
    const counts: string[][] = [["run", "status", "mode", "read", "new", "forward", "backfill", "stale", "deletes", "quarantined", "inserted", "updated"]];
    for (const r of stats.runs) {
      const c = (k: string) => (r.counts[k] === undefined ? "—" : formatCount(r.counts[k]));
      counts.push([
        r.runId,
        r.status,
        r.mode,
        c("read"),
        c("newAccountRecords"),
        c("forwardRecords"),
        c("backfillRecords"),
        c("staleRecords"),
        c("deleteRecords"),
        c("quarantined"),
        c("rowsInserted"),
        c("rowsUpdated"),
      ]);
    }
    out.push(table(counts, "  ", 3));

    const seen = new Set(stats.runs.flatMap((r) => Object.keys(r.timings)));
    const phases = [...PHASES.filter((k) => seen.has(k)), ...[...seen].filter((k) => !PHASES.includes(k) && k !== "total").sort()];
    if (seen.has("total")) phases.push("total");
    if (phases.length > 0) {
      out.push("", "recent runs: phase timings");
      const timings: string[][] = [["run", "created", ...phases]];
      for (const r of stats.runs) {
        timings.push([r.runId, r.createdAt.slice(0, 19), ...phases.map((k) => (r.timings[k] === undefined ? "—" : formatDuration(r.timings[k])))]);
      }
      out.push(table(timings, "  ", 2));
    }
    const failed = stats.runs.filter((r) => r.error);
    for (const r of failed.slice(0, 3)) out.push(`  ${r.runId} ${r.status}: ${r.error}`);
  } else {
    out.push("", "no runs recorded yet");
  }
  return out.join("\n") + "\n";
}
