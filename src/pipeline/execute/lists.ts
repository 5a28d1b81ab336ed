// Summary rows from dense account lists, the fastest way PERFORMANCE-NOTES measured: one list per
// account over its whole span (newest month first, NULL for gaps), then one slice per row. The
// initial build (./initial.ts), the full path (./apply.ts) and a rollback's rebuild (../undo.ts)
// all build their rows this way. A row's arrays are the L months down from it; base_ts is the
// newest record timestamp among them, tombstones included.
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, quoteString } from "../engine/duckdb";
import type { Layout } from "../layout";
import { gridChar } from "./tables";

/**
 * `__sp_ia`: per account of `source` (records with acct, mi, ts, tomb, v{i}, s{i}, dflag,
 * row_exists, and `existed` when `existed` is set), its records as lists in any order (no sorted
 * aggregate), then the dense lists from its newest row month m1 down to its first record month m0,
 * by position lookup.
 */
export async function buildAccountLists(conn: DuckDBConnection, layout: Layout, source: string, opts: { existed?: boolean } = {}): Promise<void> {
  const lists = [
    "list(mi) AS mis",
    "list(ts) AS tss",
    "list(row_exists) AS exs",
    ...(opts.existed ? ["list(existed) AS eds"] : []),
    ...layout.rolling.map((_, i) => `list(CASE WHEN tomb THEN NULL ELSE v${i} END) AS x${i}`),
    ...layout.scalars.map((_, i) => `list(s${i}) AS xs${i}`),
    "list(dflag) AS xd",
  ];
  const dense = [
    "list_select(tss, idx) AS dts",
    "list_select(exs, idx) AS dex",
    ...(opts.existed ? ["list_select(eds, idx) AS ded"] : []),
    ...layout.rolling.map((_, i) => `list_select(x${i}, idx) AS d${i}`),
    ...layout.scalars.map((_, i) => `list_select(xs${i}, idx) AS ds${i}`),
    "list_select(xd, idx) AS dd",
    // a grid is one character a month: built once per account, cut per row
    ...layout.grids.map(
      (g, j) => `array_to_string(list_transform(list_select(x${g.rollingIndex}, idx), lambda v: ${gridChar("v", g.placeholder)}), '') AS dg${j}`,
    ),
  ];
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_ia AS
     SELECT acct, m0, m1, lm, mx, m1 - m0 + 1 AS span, ${dense.join(", ")}
     FROM (SELECT *, list_transform(range(m1, m0 - 1, -1), lambda m: coalesce(list_position(mis, m), 0)) AS idx
           FROM (SELECT acct, min(mi) AS m0, max(mi) FILTER (WHERE row_exists) AS m1, max(mi) FILTER (WHERE NOT tomb) AS lm,
                        max(mi) AS mx, ${lists.join(", ")}
                 FROM ${source} GROUP BY acct))`,
  );
}

/**
 * `__sp_ia` read on every thread. A bucket's accounts fit in one row group (122,880 rows), and
 * DuckDB scans a row group on one thread, so the insert that unnests each account into its rows
 * (the heaviest statement of the build) ran on one core. A GROUP BY over the already unique acct
 * hands its output out by partition, to every thread: at 250k accounts × 24 months (4 buckets of
 * ~62k accounts) it took the summary insert from 8.3–11.4 s to 4.6–5.3 s a bucket, and the whole
 * build from 59 to 40–44 s, in less CPU time.
 */
export const SPREAD = "(SELECT acct, any_value(COLUMNS(* EXCLUDE (acct))) FROM __sp_ia GROUP BY acct)";

/**
 * Rows of the accounts in `from` (by default `__sp_ia`) matching `where`, at offset `o` back from
 * their newest row month, `o` given by `offsets` (one value, or an unnest of many): acct, mi, ex
 * (the row exists), new_base_ts, s{i}, dflag, a{i}, g{j}, and `existed` when the lists have it.
 */
export function rowsOf(layout: Layout, offsets: string, where: string, from = "__sp_ia", opts: { existed?: boolean } = {}): string {
  const cols = [
    "acct",
    "m1 - o AS mi",
    "dex[o + 1] AS ex",
    ...(opts.existed ? ["ded[o + 1] AS existed"] : []),
    `list_max(dts[o + 1:o + ${layout.maxHistoryLength}]) AS new_base_ts`,
    ...layout.scalars.map((_, i) => `ds${i}[o + 1] AS s${i}`),
    "dd[o + 1] AS dflag",
    ...layout.rolling.map((r, i) => `list_resize(d${i}[o + 1:o + ${r.historyLength}], ${r.historyLength}) AS a${i}`),
    ...layout.grids.map((g, j) => {
      const h = layout.rolling[g.rollingIndex]?.historyLength ?? layout.maxHistoryLength;
      return `rpad(substr(dg${j}, o + 1, ${h}), ${h}, ${quoteString(g.placeholder)}) AS g${j}`;
    }),
  ];
  return `SELECT ${cols.join(", ")} FROM (SELECT *, ${offsets} AS o FROM ${from} WHERE ${where})`;
}
