// The initial build of one bucket (SPEC §4 mode initial): the tables are new and empty, so every
// row is built from the batch alone, from dense account lists (./lists.ts), streamed into the
// summary without materialising the rows. The same semantics as the full path
// (./apply.ts) with no existing rows: a row exists where a month has a live record (a tombstone
// winning over a live record of its month included), base_ts is the newest record timestamp in
// the row's window, tombstones included.
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryOne } from "../engine/duckdb";
import type { Layout } from "../layout";
import type { Targets } from "../targets";
import type { BucketResult } from "./apply";
import { checkRewrittenRows } from "./check";
import { buildAccountLists, rowsOf, SPREAD } from "./lists";
import { indexRowsSql, insertRecordIndex, liveFlagSql, rowSelect, summaryColumnNames } from "./tables";

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
  await insertRecordIndex(conn, layout, targets.records, changes);
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
  await buildAccountLists(conn, layout, `(${indexRowsSql(layout, targets.records, `r.acct IN (SELECT acct FROM ${accounts})`)})`);
  await insertRows(conn, layout, targets);
  await execute(conn, "DROP TABLE IF EXISTS __sp_ia");
}

/** Every row offset of an account in `__sp_ia`, oldest month first (its rows then lie together in month order). */
const ALL_ROWS = "unnest(range(span - 1, -1, -1))";

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
  // one row per account: __sp_ia read as it is is fast enough (0.3 s a bucket of ~62k accounts)
  await execute(conn, `INSERT INTO ${targets.latest} (${cols}) SELECT ${select} FROM (${rowsOf(layout, "m1 - lm", "lm IS NOT NULL")}) r`);
}

/** The accounts an initial build checks (the same 1/64 as checkRewrittenRows' sample). */
const SAMPLE = "hash(acct) % 64 = 0";

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
