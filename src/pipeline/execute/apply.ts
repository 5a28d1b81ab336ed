// Applies one bucket of an incremental run's classified batch to the target tables (an initial
// build has its own path, ./initial.ts). Two set-based paths:
// - fast: forward months of accounts whose latest row can be shifted (SPEC §4 case II);
// - full: new accounts, backfills, corrections and deletes (cases I, III, delete): the record index
//   takes the batch, then the rows in reach of a change are rebuilt from it alone (it holds every
//   record's payload and whether its month has a row), every month of the reach in order, the
//   arrays window lists.
// Both keep `latest_summary`, the record index and the trailing-tombstone set in step; the full
// path records its undo data first (see ../undo.ts).
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryOne, quoteIdent } from "../engine/duckdb";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import type { Targets } from "../targets";
import { recordFullPathUndo } from "../undo";
import { checkFastRows, checkRewrittenRows, fastCheckColumns } from "./check";
import { buildAccountLists, rowsOf, SPREAD } from "./lists";
import { gridChar, indexRowsSql, insertRecordIndex, liveFlagSql, liveRowSql, refreshTail, rowSelect, summaryColumnNames } from "./tables";

export interface BucketResult {
  rowsInserted: number;
  rowsUpdated: number;
  latestRowsWritten: number;
  records: number;
}

/** What `prepareBucket` computed for a bucket, for its transaction. */
export interface PreparedBucket {
  fastRecords: number;
  full: FullPathPrep;
}

/**
 * Outside the bucket's transaction, just before it (and again before a retry): what both paths
 * compute, into temporary tables, from committed tables and the batch. Inside the transaction, a
 * table created there reads back slowly (10.6 s against 6.6 s for the fast path's two wide inserts
 * of 1M rows; 0.11 s against 0.01 s for a join of the full path's 0.5M index rows), so the
 * transaction only writes what these computed.
 */
export async function prepareBucket(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number },
): Promise<PreparedBucket> {
  const fastRecords = await prepareFastPath(conn, p);
  const full = await prepareFullPath(conn, p);
  return { fastRecords, full };
}

/** Inside the bucket's transaction, after `prepareBucket`: the fast path, then the full path. */
export async function applyBucket(
  conn: DuckDBConnection,
  p: {
    layout: Layout;
    targets: Targets;
    work: string;
    bucket: number;
    /** The run recording undo data. */
    undoRunId: string;
    prepared: PreparedBucket;
  },
): Promise<BucketResult> {
  const fast = await applyFastPath(conn, { ...p, fastRecords: p.prepared.fastRecords });
  const full = await applyFullPath(conn, { ...p, prep: p.prepared.full });
  return {
    rowsInserted: fast.rowsInserted + full.rowsInserted,
    rowsUpdated: fast.rowsUpdated + full.rowsUpdated,
    latestRowsWritten: fast.latestRowsWritten + full.latestRowsWritten,
    records: fast.records + full.records,
  };
}

/**
 * Outside the bucket's transaction (see `prepareBucket`): the fast path's new rows, `__sp_frows`,
 * and their accounts' batch lists, `__sp_fl`. Returns the fast path's record count.
 */
async function prepareFastPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number },
): Promise<number> {
  const { layout, targets } = p;
  const L = layout.maxHistoryLength;
  const acctCol = quoteIdent(layout.accountColumn);
  const n = await queryOne(conn, `SELECT count(*) AS n FROM ${p.work} WHERE bucket = ${p.bucket} AND fast`);
  const records = Number(n?.n ?? 0);
  if (records === 0) {
    for (const t of ["__sp_fl", "__sp_frows"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
    return 0;
  }
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_fl AS
     SELECT acct, count(*) AS n, max(mi) AS maxmi, count(*) = 1 AND max(mi) = any_value(lmi) + 1 AS next
     FROM ${p.work} WHERE bucket = ${p.bucket} AND fast GROUP BY acct`,
  );
  // The usual account has one record, for the month after its latest row: its arrays are the new
  // value prepended to the latest row's. The others (gaps, several months) take the batch's values
  // for months mi, mi-1, ..., lmi+1 through idx (0 where a month has none), then the latest row's
  // array, cut to the history length; their lists come from __sp_fx, for those accounts only.
  const lists = layout.rolling.map((_, i) => `list(v${i}) AS vals${i}`).join(", ");
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_fx AS
     SELECT acct, list(mi) AS mis, list(ts) AS tss, ${lists} FROM ${p.work}
     WHERE bucket = ${p.bucket} AND fast AND acct IN (SELECT acct FROM __sp_fl WHERE NOT next) GROUP BY acct`,
  );
  const hist = (i: number) => layout.rolling[i]?.historyLength ?? L;
  const arrays = layout.rolling.map(
    (r, i) =>
      `CASE WHEN w.next THEN list_prepend(w.v${i}, l.${quoteIdent(r.column)})[1:${r.historyLength}]
            ELSE list_concat(list_select(w.vals${i}, w.idx), l.${quoteIdent(r.column)})[1:${r.historyLength}] END AS a${i}`,
  );
  // a grid shifts like its array: the new months' characters, then the latest row's grid
  const grids = layout.grids.map(
    (g, j) =>
      `left(CASE WHEN w.next THEN ${gridChar(`w.v${g.rollingIndex}`, g.placeholder)}
                 ELSE array_to_string(list_transform(list_select(w.vals${g.rollingIndex}, w.idx), lambda v: ${gridChar("v", g.placeholder)}), '') END
            || l.${quoteIdent(g.name)}, ${hist(g.rollingIndex)}) AS g${j}`,
  );
  const listCols = ["tss", "mis", ...layout.rolling.map((_, i) => `vals${i}`)];
  // one join with the wide latest rows, for every fast record
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_frows AS
     SELECT w.* EXCLUDE (next, idx, ${listCols.join(", ")}),
            CASE WHEN w.next THEN w.ts ELSE list_max(list_select(w.tss, w.idx)[1:${L}]) END AS new_base_ts,
            ${[...arrays, ...grids, ...fastCheckColumns(layout, "l", "w.acct")].join(", ")}
     FROM (SELECT w.*, fl.maxmi, fl.next, ${listCols.map((c) => `x.${c}`).join(", ")},
                  CASE WHEN NOT fl.next THEN list_transform(range(w.mi - w.lmi), lambda k: coalesce(list_position(x.mis, w.mi - k), 0)) END AS idx
           FROM ${p.work} w JOIN __sp_fl fl ON fl.acct = w.acct LEFT JOIN __sp_fx x ON x.acct = w.acct
           WHERE w.bucket = ${p.bucket} AND w.fast) w
     JOIN ${targets.latest} l ON l.${acctCol} = w.acct`,
  );
  await execute(conn, "DROP TABLE IF EXISTS __sp_fx");
  return records;
}

async function applyFastPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number; fastRecords: number },
): Promise<BucketResult> {
  const { layout, targets } = p;
  const acctCol = quoteIdent(layout.accountColumn);
  const records = p.fastRecords;
  if (records === 0) return { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0, records: 0 };
  // checked against the latest rows they shift, before those are replaced
  await checkFastRows(conn, layout, records);
  const grids = layout.grids.map((_, j) => `r.g${j}`);
  const select = rowSelect(layout, "r", "r.new_base_ts", [...layout.rolling.map((_, i) => `r.a${i}`), ...grids]);
  const cols = summaryColumnNames(layout).join(", ");
  await execute(conn, `INSERT INTO ${targets.summary} (${cols}) SELECT ${select} FROM __sp_frows r`);
  await execute(conn, `DELETE FROM ${targets.latest} WHERE ${acctCol} IN (SELECT acct FROM __sp_fl)`);
  await execute(
    conn,
    `INSERT INTO ${targets.latest} (${cols})
     SELECT ${select} FROM __sp_frows r WHERE r.mi = r.maxmi`,
  );
  await insertRecordIndex(conn, layout, targets.records, `${p.work} WHERE bucket = ${p.bucket} AND fast`);
  const accounts = await queryOne(conn, `SELECT count(*) AS n FROM __sp_fl`);
  await execute(conn, "DROP TABLE IF EXISTS __sp_fl");
  await execute(conn, "DROP TABLE IF EXISTS __sp_frows");
  return { rowsInserted: records, rowsUpdated: 0, latestRowsWritten: Number(accounts?.n ?? 0), records };
}

/**
 * The accounts whose existing row below a rewritten range the full path checks the range against:
 * every one in a bucket of up to BELOW_ALL accounts, else a fixed 1/64 of them (each row fetched
 * touches its own vector of the summary: 0.7 s for 1/16 of 35k accounts).
 */
const BELOW_ALL = 2048;
const BELOW_SAMPLE = "hash(acct) % 64 = 0";

/** What `prepareFullPath` left for the bucket's transaction. */
interface FullPathPrep {
  /** The full path's records (stale ones excluded). */
  records: number;
  /** Accounts in reach (`__sp_fa`); 0 leaves nothing to do. */
  accounts: number;
}

/**
 * Outside the bucket's transaction (see `prepareBucket`): everything the full path computes from
 * committed tables and the batch. The fast path's accounts are not in reach, so what the
 * transaction writes first does not change it.
 * - `__sp_fa`: the accounts in reach, from their first changed month `lo` to `hi`, L-1 months
 *   past the last;
 * - `__sp_recs`: their record-index rows, scanned once (the index holds V with each record's
 *   payload and whether its month has a row, so their rows are rebuilt from it alone; the summary's
 *   wide rows are not read). `__sp_undo` takes the rows the batch replaces, then `__sp_recs` is
 *   brought to what the index holds after the batch: replaced rows out, the batch's in, a revived
 *   month (a tombstone in force that gains its row) with its row;
 * - `__sp_pre`: the existing row just below each rewritten range, for the checks;
 * - `__sp_rows`: the rows from each account's first changed month up.
 */
async function prepareFullPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number },
): Promise<FullPathPrep> {
  const { layout, targets } = p;
  const L = layout.maxHistoryLength;
  const acctCol = quoteIdent(layout.accountColumn);
  const sMi = (alias: string) => monthIndexSql(layout.monthKind, `${alias}.${quoteIdent(layout.monthColumn)}`);
  const changes = fullPathChanges(p);
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_fa AS
     SELECT acct, min(mi) AS lo, max(mi) + ${L - 1} AS hi FROM (${changes}) GROUP BY acct`,
  );
  const fa = Number((await queryOne(conn, `SELECT count(*) AS n FROM __sp_fa`))?.n ?? 0);
  const records = Number((await queryOne(conn, `SELECT count(*) AS n FROM (${changes})`))?.n ?? 0);
  if (fa === 0) return { records, accounts: 0 };
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_recs AS SELECT r.* FROM ${targets.records} r WHERE r.acct IN (SELECT acct FROM __sp_fa)`,
  );
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_undo AS SELECT r.* FROM __sp_recs r SEMI JOIN (${changes}) w ON w.acct = r.acct AND w.mi = r.mi`,
  );
  await applyIndexChanges(conn, layout, "__sp_recs", changes);

  // the existing row just below each rewritten range (each row fetched touches its own vector of
  // the summary: in a large bucket a sample of the accounts)
  const withRows = await queryOne(conn, `SELECT count(*) AS n FROM (${changes}) WHERE NOT new_account`);
  if (Number(withRows?.n ?? 0) === 0) {
    await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_pre AS SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s LIMIT 0`);
  } else {
    // one statement: the rowids are found and fetched in the same snapshot (a checkpoint between
    // two statements may move rows, and so their rowids)
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_pre AS
       WITH k AS (SELECT s.rowid AS rid FROM ${targets.summary} s
                  JOIN (SELECT * FROM __sp_fa WHERE ${fa <= BELOW_ALL ? "TRUE" : BELOW_SAMPLE}) f ON f.acct = s.${acctCol}
                  WHERE ${sMi("s")} BETWEEN f.lo - ${L - 1} AND f.lo - 1
                  QUALIFY row_number() OVER (PARTITION BY s.${acctCol} ORDER BY ${sMi("s")} DESC) = 1)
       SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s WHERE s.rowid IN (SELECT rid FROM k)`,
    );
  }

  // the index rows in reach: a row's element 0 is its month's value in V, its window the L months
  // down from it; `existed` tells a rewrite from a new row (for the counts)
  const cellCols = [
    "x.acct",
    "x.mi",
    "x.ts",
    "x.tomb",
    "x.row_exists",
    "coalesce(w.had_row, x.row_exists) AS existed",
    ...layout.rolling.map((_, i) => `x.v${i}`),
    ...layout.scalars.map((_, i) => `x.s${i}`),
    "x.dflag",
  ];
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_cells AS
     SELECT ${cellCols.join(", ")}
     FROM (${indexRowsSql(layout, "__sp_recs", "TRUE")}) x
     JOIN __sp_fa f ON f.acct = x.acct AND x.mi BETWEEN f.lo - ${L - 1} AND f.hi
     LEFT JOIN (SELECT acct, mi, had_row FROM (${changes})) w ON w.acct = x.acct AND w.mi = x.mi`,
  );
  // The rows from each account's first month in reach to its last row, from its dense lists
  // (./lists.ts): a row's arrays are the L months down from it, the lists NULL where a month has no
  // record; only rows from the account's first changed month up are cut. (A window `list() OVER`
  // the last L months, of every month in reach, took 1.6 s at 1M accounts.)
  await buildAccountLists(conn, layout, "__sp_cells", { existed: true });
  const outCols = [
    "acct",
    "mi",
    "existed",
    ...layout.scalars.map((_, i) => `s${i}`),
    "dflag",
    "new_base_ts",
    ...layout.rolling.map((_, i) => `a${i}`),
    ...layout.grids.map((_, j) => `g${j}`),
  ].join(", ");
  const inReach = `(SELECT a.*, f.lo FROM ${SPREAD} a JOIN __sp_fa f ON f.acct = a.acct)`;
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_rows AS
     SELECT ${outCols} FROM (${rowsOf(layout, "unnest(range(0, m1 - lo + 1))", "m1 IS NOT NULL", inReach, { existed: true })}) WHERE ex`,
  );
  for (const t of ["__sp_ia", "__sp_cells"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return { records, accounts: fa };
}

/** The full path's records of a bucket: its non-fast records but stale ones. */
function fullPathChanges(p: { work: string; bucket: number }): string {
  return `SELECT * FROM ${p.work} WHERE bucket = ${p.bucket} AND NOT fast AND kase <> 'stale'`;
}

/**
 * The full path's records applied to `table`, the record index or `__sp_recs`, its copy of the
 * rows in reach: each record replaces the row of its key, but a revive, which keeps its tombstone
 * in force and marks that its month now has a row.
 */
async function applyIndexChanges(conn: DuckDBConnection, layout: Layout, table: string, changes: string): Promise<void> {
  const taken = `SELECT * FROM (${changes}) WHERE kase <> 'revive'`;
  const revives = `SELECT acct, mi FROM (${changes}) WHERE kase = 'revive'`;
  await execute(conn, `DELETE FROM ${table} r USING (${taken}) w WHERE r.acct = w.acct AND r.mi = w.mi`);
  await insertRecordIndex(conn, layout, table, `(${taken})`);
  const revived = await queryOne(conn, `SELECT count(*) AS n FROM (${revives})`);
  if (Number(revived?.n ?? 0) > 0) {
    await execute(conn, `UPDATE ${table} SET rx = TRUE FROM (${revives}) w WHERE ${table}.acct = w.acct AND ${table}.mi = w.mi`);
  }
}

const FULL_PATH_TABLES = ["__sp_fa", "__sp_recs", "__sp_undo", "__sp_pre", "__sp_cells", "__sp_ia", "__sp_rows", "__sp_redo", "__sp_nolive"];

/** Inside the bucket's transaction, after the fast path: writes what `prepareFullPath` computed. */
async function applyFullPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number; undoRunId: string; prep: FullPathPrep },
): Promise<BucketResult> {
  const { layout, targets } = p;
  const acctCol = quoteIdent(layout.accountColumn);
  const sMi = (alias: string) => monthIndexSql(layout.monthKind, `${alias}.${quoteIdent(layout.monthColumn)}`);
  const changes = fullPathChanges(p);
  const records = p.prep.records;
  if (p.prep.accounts === 0) {
    for (const t of FULL_PATH_TABLES) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
    return { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0, records };
  }
  // the record index, its undo data first
  await recordFullPathUndo(conn, { runId: p.undoRunId, targets, fa: "__sp_fa", records: "__sp_undo" });
  await applyIndexChanges(conn, layout, targets.records, changes);
  const counts = await queryOne(
    conn,
    `SELECT count(*) FILTER (WHERE existed) AS upd, count(*) FILTER (WHERE NOT existed) AS ins FROM __sp_rows`,
  );
  await execute(
    conn,
    `DELETE FROM ${targets.summary} s USING __sp_fa f WHERE s.${acctCol} = f.acct AND ${sMi("s")} BETWEEN f.lo AND f.hi`,
  );
  const grids = layout.grids.map((_, j) => `r.g${j}`);
  const cols = summaryColumnNames(layout).join(", ");
  await execute(
    conn,
    `INSERT INTO ${targets.summary} (${cols})
     SELECT ${rowSelect(layout, "r", "r.new_base_ts", [...layout.rolling.map((_, i) => `r.a${i}`), ...grids])} FROM __sp_rows r`,
  );
  // latest: each account's newest live row. A latest row after the rewritten window stays; else
  // the newest live row just written; only an account whose rewritten rows are all deleted falls
  // back to an older row of the summary.
  const rowLive = liveFlagSql(layout, "r.dflag");
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_redo AS
     SELECT f.acct, f.lo FROM __sp_fa f
     LEFT JOIN (SELECT l.${acctCol} AS acct, ${sMi("l")} AS lmi FROM ${targets.latest} l
                WHERE l.${acctCol} IN (SELECT acct FROM __sp_fa)) l ON l.acct = f.acct
     WHERE l.lmi IS NULL OR l.lmi <= f.hi`,
  );
  await execute(conn, `DELETE FROM ${targets.latest} WHERE ${acctCol} IN (SELECT acct FROM __sp_redo)`);
  await execute(
    conn,
    `INSERT INTO ${targets.latest} (${cols})
     SELECT ${rowSelect(layout, "r", "r.new_base_ts", [...layout.rolling.map((_, i) => `r.a${i}`), ...grids])}
     FROM __sp_rows r WHERE ${rowLive} AND r.acct IN (SELECT acct FROM __sp_redo)
     QUALIFY row_number() OVER (PARTITION BY r.acct ORDER BY r.mi DESC) = 1`,
  );
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_nolive AS
     SELECT d.acct, d.lo FROM __sp_redo d
     WHERE d.acct NOT IN (SELECT ${acctCol} FROM ${targets.latest} WHERE ${acctCol} IN (SELECT acct FROM __sp_redo))`,
  );
  const fallback = await queryOne(conn, `SELECT count(*) AS n FROM __sp_nolive`);
  if (Number(fallback?.n ?? 0) > 0) {
    await execute(
      conn,
      `INSERT INTO ${targets.latest} (${cols})
       SELECT ${cols.split(", ").map((c) => `s.${c}`).join(", ")} FROM ${targets.summary} s JOIN __sp_nolive f ON f.acct = s.${acctCol}
       WHERE ${sMi("s")} < f.lo AND ${liveRowSql(layout, "s")}
       QUALIFY row_number() OVER (PARTITION BY s.${acctCol} ORDER BY ${sMi("s")} DESC) = 1`,
    );
  }
  await checkRewrittenRows(conn, layout, targets, { sample: false, live: rowLive });
  const latest = await queryOne(
    conn,
    `SELECT count(*) AS n FROM ${targets.latest} WHERE ${acctCol} IN (SELECT acct FROM __sp_fa)`,
  );
  await refreshTail(conn, layout, targets, "__sp_fa", "__sp_recs");
  for (const t of FULL_PATH_TABLES) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return {
    rowsInserted: Number(counts?.ins ?? 0),
    rowsUpdated: Number(counts?.upd ?? 0),
    latestRowsWritten: Number(latest?.n ?? 0),
    records,
  };
}
