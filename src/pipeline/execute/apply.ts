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
import { execute, queryOne, quoteIdent, quoteString } from "../engine/duckdb";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import type { Targets } from "../targets";
import { recordFullPathUndo } from "../undo";
import { checkFastRows, checkRewrittenRows, fastCheckColumns } from "./check";
import { gridChar, indexRowsSql, insertRecordIndex, liveFlagSql, liveRowSql, refreshTail, rowSelect, summaryColumnNames } from "./tables";

export interface BucketResult {
  rowsInserted: number;
  rowsUpdated: number;
  latestRowsWritten: number;
  records: number;
}

/** Inside the bucket's transaction, after `prepareFastPath`: the fast path, then the full path. */
export async function applyBucket(
  conn: DuckDBConnection,
  p: {
    layout: Layout;
    targets: Targets;
    work: string;
    bucket: number;
    /** The run recording undo data. */
    undoRunId: string;
    /** What `prepareFastPath` returned for this bucket, just before the bucket's transaction. */
    fastRecords: number;
  },
): Promise<BucketResult> {
  const fast = await applyFastPath(conn, p);
  const full = await applyFullPath(conn, p);
  return {
    rowsInserted: fast.rowsInserted + full.rowsInserted,
    rowsUpdated: fast.rowsUpdated + full.rowsUpdated,
    latestRowsWritten: fast.latestRowsWritten + full.latestRowsWritten,
    records: fast.records + full.records,
  };
}

/**
 * Outside the bucket's transaction (it writes temporary tables only, from committed ones): the
 * fast path's new rows, `__sp_frows`, and their accounts' batch lists, `__sp_fl`. Built inside the
 * transaction, the two wide inserts that read them ran at about half speed (10.6 s against 6.6 s
 * for 1M rows: a table created in a transaction is read back slowly within it). Returns the fast
 * path's record count.
 */
export async function prepareFastPath(
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
  await checkFastRows(conn, layout);
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
  await insertRecordIndex(conn, layout, targets, `${p.work} WHERE bucket = ${p.bucket} AND fast`);
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

async function applyFullPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number; undoRunId: string },
): Promise<BucketResult> {
  const { layout, targets } = p;
  const L = layout.maxHistoryLength;
  const acctCol = quoteIdent(layout.accountColumn);
  const sMi = (alias: string) => monthIndexSql(layout.monthKind, `${alias}.${quoteIdent(layout.monthColumn)}`);
  const changes = `SELECT * FROM ${p.work} WHERE bucket = ${p.bucket} AND NOT fast AND kase <> 'stale'`;
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_fa AS
     SELECT acct, min(mi) AS lo, max(mi) + ${L - 1} AS hi FROM (${changes}) GROUP BY acct`,
  );
  const fa = await queryOne(conn, `SELECT count(*) AS n FROM __sp_fa`);
  const records = Number((await queryOne(conn, `SELECT count(*) AS n FROM (${changes})`))?.n ?? 0);
  if (Number(fa?.n ?? 0) === 0) {
    await execute(conn, "DROP TABLE IF EXISTS __sp_fa");
    return { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0, records };
  }
  // The record index first: it holds V with each record's payload and whether its month has a row,
  // so the rows in reach are rebuilt from it alone (the summary is not read: its accounts are spread
  // over every vector of the table, and reading their wide rows cost more than the rest together).
  // A revived month keeps its tombstone in force and gains its row.
  const indexChanges = `SELECT * FROM (${changes}) WHERE kase <> 'revive'`;
  await recordFullPathUndo(conn, { runId: p.undoRunId, layout, targets, fa: "__sp_fa", changes });
  await execute(
    conn,
    `DELETE FROM ${targets.records} r USING (${indexChanges}) w WHERE r.acct = w.acct AND r.mi = w.mi`,
  );
  await insertRecordIndex(conn, layout, targets, `(${indexChanges})`);
  const revived = await queryOne(conn, `SELECT count(*) AS n FROM (${changes}) WHERE kase = 'revive'`);
  if (Number(revived?.n ?? 0) > 0) {
    await execute(
      conn,
      `UPDATE ${targets.records} SET rx = TRUE
       FROM (SELECT acct, mi FROM (${changes}) WHERE kase = 'revive') w WHERE ${targets.records}.acct = w.acct AND ${targets.records}.mi = w.mi`,
    );
  }
  // the existing row just below each rewritten range, for the checks of the rewritten rows against
  // it (each row fetched touches its own vector of the summary: many accounts are sampled)
  const withRows = await queryOne(conn, `SELECT count(*) AS n FROM (${changes}) WHERE NOT new_account`);
  if (Number(withRows?.n ?? 0) === 0) {
    await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_pre AS SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s LIMIT 0`);
  } else {
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_prek AS
       SELECT s.rowid AS rid FROM ${targets.summary} s JOIN (SELECT * FROM __sp_fa WHERE ${Number(fa?.n ?? 0) <= BELOW_ALL ? "TRUE" : BELOW_SAMPLE}) f ON f.acct = s.${acctCol}
       WHERE ${sMi("s")} BETWEEN f.lo - ${L - 1} AND f.lo - 1
       QUALIFY row_number() OVER (PARTITION BY s.${acctCol} ORDER BY ${sMi("s")} DESC) = 1`,
    );
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_pre AS
       SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s WHERE s.rowid IN (SELECT rid FROM __sp_prek)`,
    );
  }

  // the index rows in reach: a row's element 0 is its month's value in V, its window the L months
  // down from it; `existed` tells a rewrite from a new row (for the counts)
  const cellCols = [
    "x.acct",
    "x.mi",
    "x.ts",
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
     FROM (${indexRowsSql(layout, targets, "r.acct IN (SELECT acct FROM __sp_fa)")}) x
     JOIN __sp_fa f ON f.acct = x.acct AND x.mi BETWEEN f.lo - ${L - 1} AND f.hi
     LEFT JOIN (SELECT acct, mi, had_row FROM (${changes})) w ON w.acct = x.acct AND w.mi = x.mi`,
  );
  // Every month of each account from its first month in reach to its last row, gaps included, so a
  // window of the last L rows is exactly the last L months: the arrays are window lists (newest
  // first after reversal, NULL-padded), base_ts the window maximum of the records' timestamps.
  const gridCols = [
    "c.row_exists",
    "c.existed",
    "c.ts",
    ...layout.rolling.map((_, i) => `c.v${i}`),
    ...layout.grids.map((g, j) => `${gridChar(`c.v${g.rollingIndex}`, g.placeholder)} AS c${j}`),
    ...layout.scalars.map((_, i) => `c.s${i}`),
    "c.dflag",
  ].join(", ");
  const windows = [
    `max(ts) OVER win AS new_base_ts`,
    ...layout.rolling.map((_, i) => `list(v${i}) OVER win AS l${i}`),
    ...layout.grids.map((_, j) => `list(c${j}) OVER win AS gl${j}`),
  ].join(", ");
  const historyOf = (ri: number) => layout.rolling[ri]?.historyLength ?? L;
  const outCols = [
    "w.acct",
    "w.mi",
    "w.existed",
    ...layout.scalars.map((_, i) => `w.s${i}`),
    "w.dflag",
    "w.new_base_ts",
    ...layout.rolling.map((r, i) => `list_resize(${r.historyLength < L ? `w.l${i}[1:${r.historyLength}]` : `w.l${i}`}, ${r.historyLength}) AS a${i}`),
    ...layout.grids.map((g, j) => {
      const h = historyOf(g.rollingIndex);
      return `rpad(left(array_to_string(w.gl${j}, ''), ${h}), ${h}, ${quoteString(g.placeholder)}) AS g${j}`;
    }),
  ].join(", ");
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_rows AS
     WITH b AS (SELECT acct, min(mi) AS g0, max(mi) FILTER (WHERE row_exists) AS g1 FROM __sp_cells GROUP BY acct),
          g AS (SELECT acct, unnest(range(g0, g1 + 1)) AS mi FROM b WHERE g1 IS NOT NULL),
          d AS (SELECT g.acct, g.mi, ${gridCols} FROM g LEFT JOIN __sp_cells c ON c.acct = g.acct AND c.mi = g.mi),
          w AS (SELECT d.*, ${windows} FROM d WINDOW win AS (PARTITION BY acct ORDER BY mi DESC ROWS BETWEEN CURRENT ROW AND ${L - 1} FOLLOWING))
     SELECT ${outCols} FROM w JOIN __sp_fa f ON f.acct = w.acct WHERE w.row_exists AND w.mi >= f.lo`,
  );
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
  await refreshTail(conn, layout, targets, "__sp_fa");
  for (const t of ["__sp_fa", "__sp_prek", "__sp_pre", "__sp_cells", "__sp_rows", "__sp_redo", "__sp_nolive"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return {
    rowsInserted: Number(counts?.ins ?? 0),
    rowsUpdated: Number(counts?.upd ?? 0),
    latestRowsWritten: Number(latest?.n ?? 0),
    records,
  };
}
