// Invariant checks of the rows a bucket just wrote (issue #6: "cheap, on what the run touched"),
// run inside the bucket's transaction on the bucket's own temp tables, so a forward month does not
// read the summary again. A violation fails the bucket, and so the run, before anything commits.
// - every written array has its history length and every grid its length;
// - history[k+i] of a row equals history[i] of the row k months earlier: rewritten rows against the
//   row before them (written, or the existing row below the rewritten range: every account's in a
//   small bucket, a fixed 1/64 of them in a large one); forward-month rows against the latest row
//   they shifted, on a fixed 1/16 of the accounts;
// - grids: rewritten rows rebuilt from their arrays; forward rows (same sample) first character =
//   element 0 and the rest = the earlier grid shifted;
// - rewritten rows: no duplicate (account, month); latest_summary holds the newest live row.
// An initial build checks a fixed 1/64 of its accounts.
// The whole-table check (grid rebuilt from every array, every row) is `checkInvariants`, on demand.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, quoteIdent } from "../engine/duckdb";
import { PipelineError } from "../errors";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import type { Targets } from "../targets";
import { gridChar, gridSql } from "./tables";

export interface CheckCounts {
  [check: string]: number;
}

function throwIfViolated(counts: CheckCounts, what: string): void {
  const bad = Object.entries(counts).filter(([, n]) => n > 0);
  if (bad.length === 0) return;
  throw new PipelineError("INVARIANT", `the rows this run wrote (${what}) fail ${bad.length} invariant check(s); the run is not committed`, {
    issues: bad.map(([check, n]) => ({ path: check, message: `${n} row(s)` })),
  });
}

/** Conditions over a relation with k (months since the earlier row), a{i}/p{i}, g{j}/pg{j}. */
function conditions(layout: Layout, fullGrid: boolean): { lengths: string; shift: string; grid: string } {
  const h = (ri: number) => layout.rolling[ri]?.historyLength ?? layout.maxHistoryLength;
  const lengths = layout.rolling.map((r, i) => `len(a${i}) IS DISTINCT FROM ${r.historyLength}`);
  const shift = layout.rolling.map((r, i) => `(k < ${r.historyLength} AND a${i}[k + 1:] IS DISTINCT FROM p${i}[1:${r.historyLength} - k])`);
  const grid = layout.grids.map((g, j) =>
    fullGrid
      ? `g${j} IS DISTINCT FROM ${gridSql(`a${g.rollingIndex}`, g.placeholder)}`
      : `length(g${j}) IS DISTINCT FROM ${h(g.rollingIndex)} OR left(g${j}, 1) IS DISTINCT FROM ${gridChar(`a${g.rollingIndex}[1]`, g.placeholder)}
         OR (k < ${h(g.rollingIndex)} AND g${j}[k + 1:] IS DISTINCT FROM pg${j}[1:${h(g.rollingIndex)} - k])`,
  );
  const or = (xs: string[]) => (xs.length ? xs.map((x) => `(${x})`).join(" OR ") : "FALSE");
  return { lengths: or(lengths), shift: or(shift), grid: or(grid) };
}

/** The fast-path accounts whose rows are checked against the rows they shift: a fixed 1/16. */
export function fastCheckSample(acct: string): string {
  return `hash(${acct}) % 16 = 0`;
}

/**
 * The columns `__sp_frows` carries for the check: the shifted latest row's arrays and grids
 * (`l_a{i}`, `l_g{j}`) on the sampled accounts, NULL elsewhere, taken from the join that built the
 * rows (a second scan of the wide latest rows cost 0.8 s per 1M accounts).
 */
export function fastCheckColumns(layout: Layout, latest: string, acct: string): string[] {
  const on = fastCheckSample(acct);
  return [
    // the month of the latest row now, against the one the classification saw (lmi)
    `${monthIndexSql(layout.monthKind, `${latest}.${quoteIdent(layout.monthColumn)}`)} AS l_mi`,
    ...layout.rolling.map((r, i) => `CASE WHEN ${on} THEN ${latest}.${quoteIdent(r.column)} END AS l_a${i}`),
    ...layout.grids.map((g, j) => `CASE WHEN ${on} THEN ${latest}.${quoteIdent(g.name)} END AS l_g${j}`),
  ];
}

/**
 * Fast path rows (`__sp_frows`: a{i}, g{j}, mi, lmi, and the check columns of fastCheckColumns)
 * against the latest row they shifted (all of them: it is the one the classification saw, and
 * there is one row per record) or the bucket's earlier row of the same account — on a fixed
 * 1/16 of the accounts: the fast path is one expression for every account, and checking all of
 * them cost as much as writing them (1.7 s per 100k rows on 2 cores).
 */
export async function checkFastRows(conn: DuckDBConnection, layout: Layout, records: number): Promise<void> {
  const prev = [
    ...layout.rolling.map((_, i) => `coalesce(lag(r.a${i}) OVER w, r.l_a${i}) AS p${i}`),
    ...layout.grids.map((_, j) => `coalesce(lag(r.g${j}) OVER w, r.l_g${j}) AS pg${j}`),
  ];
  const cur = [...layout.rolling.map((_, i) => `r.a${i}`), ...layout.grids.map((_, j) => `r.g${j}`)];
  const c = conditions(layout, false);
  const h = (ri: number) => layout.rolling[ri]?.historyLength ?? layout.maxHistoryLength;
  const gridLengths = layout.grids.map((g, j) => `length(g${j}) IS DISTINCT FROM ${h(g.rollingIndex)}`);
  // lengths on every row (cheap); the shift against the earlier row on the sample
  const all = await queryOne(
    conn,
    `SELECT count(*) FILTER (WHERE ${c.lengths}) AS lengths, count(*) FILTER (WHERE ${gridLengths.length ? gridLengths.join(" OR ") : "FALSE"}) AS grid,
            count(*) FILTER (WHERE l_mi IS DISTINCT FROM lmi OR mi <= l_mi) AS moved, count(*) AS n
     FROM __sp_frows`,
  );
  const r = await queryOne(
    conn,
    `SELECT count(*) FILTER (WHERE ${c.shift}) AS shift, count(*) FILTER (WHERE ${c.grid}) AS grid
     FROM (SELECT r.mi - coalesce(lag(r.mi) OVER w, r.lmi) AS k, ${[...cur, ...prev].join(", ")}
           FROM __sp_frows r
           WHERE ${fastCheckSample("r.acct")}
           WINDOW w AS (PARTITION BY r.acct ORDER BY r.mi))`,
  );
  throwIfViolated(
    {
      "array length differs from history_length": Number(all?.lengths ?? 0),
      "history[i] of month m differs from history[0] of month m-i": Number(r?.shift ?? 0),
      "grid differs from its array": Number(all?.grid ?? 0) + Number(r?.grid ?? 0),
      // a forward record shifts the latest row the classification saw: one that moved or went
      // (another run's input applied since?) would make a duplicate row, or drop the record
      "latest_summary row differs from the one the batch was classified against": Number(all?.moved ?? 0) + (records - Number(all?.n ?? 0)),
    },
    "forward months",
  );
}

/**
 * Rewritten rows (`__sp_rows`) against each other and the existing row below each rewritten range
 * (`__sp_pre`, read before the rewrite), after latest_summary was refreshed. `sample` limits the
 * rows checked (an initial build checks a fixed 1/64 of its accounts).
 */
export async function checkRewrittenRows(
  conn: DuckDBConnection,
  layout: Layout,
  targets: Targets,
  opts: { sample: boolean; live: string },
): Promise<void> {
  const acctCol = quoteIdent(layout.accountColumn);
  const sample = opts.sample ? "hash(acct) % 64 = 0" : "TRUE";
  const cols = (prefix: string, fromSummary: boolean) => [
    ...layout.rolling.map((r, i) => `${prefix}${fromSummary ? quoteIdent(r.column) : `a${i}`} AS a${i}`),
    ...layout.grids.map((g, j) => `${prefix}${fromSummary ? quoteIdent(g.name) : `g${j}`} AS g${j}`),
  ];
  const prev = [...layout.rolling.map((_, i) => `lag(a${i}) OVER w AS p${i}`), ...layout.grids.map((_, j) => `lag(g${j}) OVER w AS pg${j}`)];
  const cur = [...layout.rolling.map((_, i) => `a${i}`), ...layout.grids.map((_, j) => `g${j}`)];
  const c = conditions(layout, true);
  const r = await queryOne(
    conn,
    `WITH x AS (
       SELECT FALSE AS below, acct, mi, ${cols("", false).join(", ")} FROM __sp_rows WHERE ${sample}
       UNION ALL
       SELECT TRUE, p.${acctCol}, p.__sp_mi, ${cols("p.", true).join(", ")}
       FROM __sp_pre p JOIN __sp_fa f ON f.acct = p.${acctCol}
       WHERE p.__sp_mi < f.lo AND ${sample.replace("acct", `p.${acctCol}`)}
       QUALIFY row_number() OVER (PARTITION BY p.${acctCol} ORDER BY p.__sp_mi DESC) = 1),
     y AS (SELECT below, mi - lag(mi) OVER w AS k, ${[...cur, ...prev].join(", ")} FROM x WINDOW w AS (PARTITION BY acct ORDER BY mi))
     SELECT count(*) FILTER (WHERE NOT below AND (${c.lengths})) AS lengths,
            count(*) FILTER (WHERE NOT below AND k IS NOT NULL AND (${c.shift})) AS shift,
            count(*) FILTER (WHERE NOT below AND (${c.grid})) AS grid,
            count(*) FILTER (WHERE k = 0) AS dup
     FROM y`,
  );
  // the newest live row of a rewritten range must be the latest row unless a newer row is
  const lMi = monthIndexSql(layout.monthKind, `l.${quoteIdent(layout.monthColumn)}`);
  const same = [
    `l.base_ts IS NOT DISTINCT FROM r.new_base_ts`,
    ...layout.rolling.map((ro, i) => `l.${quoteIdent(ro.column)} IS NOT DISTINCT FROM r.a${i}`),
  ].join(" AND ");
  const latest = await queryOne(
    conn,
    `WITH n AS (SELECT r.* FROM __sp_rows r WHERE ${opts.live} AND ${sample.replace("acct", "r.acct")}
                QUALIFY row_number() OVER (PARTITION BY r.acct ORDER BY r.mi DESC) = 1)
     SELECT count(*) AS n FROM n r
     LEFT JOIN (SELECT l.*, ${lMi} AS __lmi FROM ${targets.latest} l WHERE l.${acctCol} IN (SELECT acct FROM n)) l ON l.${acctCol} = r.acct
     WHERE l.__lmi IS NULL OR l.__lmi < r.mi OR (l.__lmi = r.mi AND NOT (${same}))`,
  );
  throwIfViolated(
    {
      "array length differs from history_length": Number(r?.lengths ?? 0),
      "history[i] of month m differs from history[0] of month m-i": Number(r?.shift ?? 0),
      "grid differs from its array": Number(r?.grid ?? 0),
      "duplicate (account, month) in summary": Number(r?.dup ?? 0),
      "latest_summary differs from the newest live summary row": Number(latest?.n ?? 0),
    },
    "rewritten rows",
  );
}
