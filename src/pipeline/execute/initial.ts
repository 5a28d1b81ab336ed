// The initial build of one bucket (SPEC §4 mode initial): the tables are new and empty, so every
// row is built from the batch alone, the fastest way PERFORMANCE-NOTES measured: one dense list
// per account over its whole span (newest month first, NULL for gaps), then one slice per row,
// streamed into the summary without materialising the rows. The same semantics as the full path
// (./apply.ts) with no existing rows: a row exists where a month has a live record (a tombstone
// winning over a live record of its month included), base_ts is the newest record timestamp in
// the row's window, tombstones included.
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryOne, quoteString } from "../engine/duckdb";
import type { Layout } from "../layout";
import type { Targets } from "../targets";
import type { BucketResult } from "./apply";
import { checkRewrittenRows } from "./check";
import { gridChar, indexRowsSql, insertRecordIndex, liveFlagSql, rowSelect, summaryColumnNames } from "./tables";

export async function applyInitialBucket(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number },
): Promise<BucketResult> {
  const { layout, targets } = p;
  const changes = `${p.work} WHERE bucket = ${p.bucket} AND kase NOT IN ('stale', 'revive')`;
  const records = Number((await queryOne(conn, `SELECT count(*) AS n FROM ${changes}`))?.n ?? 0);
  if (records === 0) return { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0, records: 0 };

  await buildAccountLists(conn, layout, `(SELECT * FROM ${changes})`);
  await insertRows(conn, layout, targets);
  await insertRecordIndex(conn, layout, targets, changes);
  // tombstones after the newest live month keep an account off the fast path
  await execute(conn, `INSERT INTO ${targets.tail} SELECT acct FROM __sp_ia WHERE mx > coalesce(lm, -1)`);
  await checkSample(conn, layout, targets, rowsOf(layout, ALL_ROWS, `m1 IS NOT NULL AND ${SAMPLE}`));
  const counts = await queryOne(
    conn,
    `SELECT coalesce(sum(list_count(list_filter(dex, lambda e: e))), 0) AS n, count(lm) AS latest FROM __sp_ia`,
  );
  for (const t of ["__sp_ia", "__sp_rows", "__sp_fa", "__sp_pre"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return { rowsInserted: Number(counts?.n ?? 0), rowsUpdated: 0, latestRowsWritten: Number(counts?.latest ?? 0), records };
}

/**
 * Rebuilds every row of the accounts in `accounts` (a relation with acct) from the record index,
 * summary and latest_summary rows (a rollback; the caller deleted their rows first).
 */
export async function buildRowsFromIndex(conn: DuckDBConnection, layout: Layout, targets: Targets, accounts: string): Promise<void> {
  await buildAccountLists(conn, layout, `(${indexRowsSql(layout, targets, `r.acct IN (SELECT acct FROM ${accounts})`)})`);
  await insertRows(conn, layout, targets);
  await execute(conn, "DROP TABLE IF EXISTS __sp_ia");
}

/**
 * `__sp_ia`: per account of `source` (records with acct, mi, ts, tomb, v{i}, s{i}, dflag,
 * row_exists), its records as lists in any order (no sorted aggregate), then the dense lists from
 * its newest row month m1 down to its first record month m0, by position lookup.
 */
async function buildAccountLists(conn: DuckDBConnection, layout: Layout, source: string): Promise<void> {
  const lists = [
    "list(mi) AS mis",
    "list(ts) AS tss",
    "list(row_exists) AS exs",
    ...layout.rolling.map((_, i) => `list(CASE WHEN tomb THEN NULL ELSE v${i} END) AS x${i}`),
    ...layout.scalars.map((_, i) => `list(s${i}) AS xs${i}`),
    "list(dflag) AS xd",
  ];
  const dense = [
    "list_select(tss, idx) AS dts",
    "list_select(exs, idx) AS dex",
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

/** Every row offset of an account in `__sp_ia`, oldest month first (its rows then lie together in month order). */
const ALL_ROWS = "unnest(range(span - 1, -1, -1))";

/**
 * `__sp_ia` read on every thread. A bucket's accounts fit in one row group (122,880 rows), and
 * DuckDB scans a row group on one thread, so the insert that unnests each account into its rows
 * (the heaviest statement of the build) ran on one core. A GROUP BY over the already unique acct
 * hands its output out by partition, to every thread: at 250k accounts × 24 months (4 buckets of
 * ~62k accounts) it took the summary insert from 8.3–11.4 s to 4.6–5.3 s a bucket, and the whole
 * build from 59 to 40–44 s, in less CPU time. The latest insert, one row per account, reads
 * `__sp_ia` as it is (0.3 s a bucket).
 */
const SPREAD = "(SELECT acct, any_value(COLUMNS(* EXCLUDE (acct))) FROM __sp_ia GROUP BY acct)";

/** The summary rows of the accounts in `__sp_ia`, and the latest row of each: the newest month with a live record in force. */
async function insertRows(conn: DuckDBConnection, layout: Layout, targets: Targets): Promise<void> {
  const cols = summaryColumnNames(layout).join(", ");
  const select = rowSelect(layout, "r", "r.new_base_ts", [
    ...layout.rolling.map((_, i) => `r.a${i}`),
    ...layout.grids.map((_, j) => `r.g${j}`),
  ]);
  await execute(
    conn,
    `INSERT INTO ${targets.summary} (${cols}) SELECT ${select} FROM (${rowsOf(layout, ALL_ROWS, "m1 IS NOT NULL", SPREAD)}) r WHERE r.ex`,
  );
  await execute(conn, `INSERT INTO ${targets.latest} (${cols}) SELECT ${select} FROM (${rowsOf(layout, "m1 - lm", "lm IS NOT NULL")}) r`);
}

/** The accounts an initial build checks (the same 1/64 as checkRewrittenRows' sample). */
const SAMPLE = "hash(acct) % 64 = 0";

/**
 * Rows of the accounts in `from` (by default `__sp_ia`) matching `where`, at offset `o` back from their newest
 * row month, `o` given by `offsets` (one value, or an unnest of many): acct, mi, ex (the row
 * exists), new_base_ts, s{i}, dflag, a{i}, g{j}.
 */
function rowsOf(layout: Layout, offsets: string, where: string, from = "__sp_ia"): string {
  const cols = [
    "acct",
    "m1 - o AS mi",
    "dex[o + 1] AS ex",
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

/**
 * The invariant checks of a fixed 1/64 of the bucket's accounts, on their rows computed by the
 * expression the insert used (reading them back would scan the growing summary every bucket).
 */
async function checkSample(conn: DuckDBConnection, layout: Layout, targets: Targets, rows: string): Promise<void> {
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_rows AS SELECT * FROM (${rows}) WHERE ex`);
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_fa AS SELECT acct, m0 AS lo FROM __sp_ia WHERE ${SAMPLE}`);
  // no existing rows below an initial build
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_pre AS SELECT *, 0 AS __sp_mi FROM ${targets.summary} LIMIT 0`);
  await checkRewrittenRows(conn, layout, targets, { sample: true, live: liveFlagSql(layout, "r.dflag") });
}
