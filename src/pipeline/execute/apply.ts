// Applies one bucket of an incremental run's classified batch to the target tables (an initial
// build has its own path, ./initial.ts). Two set-based paths:
// - fast: forward months of accounts whose latest row can be shifted (SPEC §4 case II);
// - full: new accounts, backfills, corrections and deletes (cases I, III, delete): the rows in
//   reach of a change are rebuilt from element 0 of the existing rows, the batch's values and the
//   record index's timestamps, every month of the reach in order, the arrays window lists.
// Both keep `latest_summary`, the record index and the trailing-tombstone set in step; the full
// path records its undo data first (see ../undo.ts).
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryOne, quoteIdent, quoteString } from "../engine/duckdb";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import type { Targets } from "../targets";
import { recordFullPathUndo } from "../undo";
import { checkFastRows, checkRewrittenRows } from "./check";
import { gridChar, liveFlagSql, liveRowSql, refreshTail, recordIndexSelect, rowSelect, summaryColumnNames } from "./tables";

export interface BucketResult {
  rowsInserted: number;
  rowsUpdated: number;
  latestRowsWritten: number;
  records: number;
}

export async function applyBucket(
  conn: DuckDBConnection,
  p: {
    layout: Layout;
    targets: Targets;
    work: string;
    bucket: number;
    /** The run recording undo data. */
    undoRunId: string;
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

async function applyFastPath(
  conn: DuckDBConnection,
  p: { layout: Layout; targets: Targets; work: string; bucket: number },
): Promise<BucketResult> {
  const { layout, targets } = p;
  const L = layout.maxHistoryLength;
  const acctCol = quoteIdent(layout.accountColumn);
  const n = await queryOne(conn, `SELECT count(*) AS n FROM ${p.work} WHERE bucket = ${p.bucket} AND fast`);
  const records = Number(n?.n ?? 0);
  if (records === 0) return { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0, records: 0 };
  const lists = layout.rolling.map((_, i) => `list(v${i}) AS vals${i}`).join(", ");
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_fl AS
     SELECT acct, count(*) AS n, max(mi) AS maxmi, list(mi) AS mis, list(ts) AS tss, ${lists} FROM ${p.work} WHERE bucket = ${p.bucket} AND fast GROUP BY acct`,
  );
  // idx lists the batch's records for months mi, mi-1, ..., lmi+1 (0 where a month has none);
  // the new array is those values, then the latest row's array, cut to the history length
  const arrays = layout.rolling.map(
    (r, i) => `list_concat(list_select(w.vals${i}, w.idx), l.${quoteIdent(r.column)})[1:${r.historyLength}] AS a${i}`,
  );
  // a grid shifts like its array: the new months' characters, then the latest row's grid
  const fastGrids = layout.grids.map(
    (g, j) =>
      `left(array_to_string(list_transform(list_select(w.vals${g.rollingIndex}, w.idx), lambda v: ${gridChar("v", g.placeholder)}), '') || l.${quoteIdent(g.name)}, ${layout.rolling[g.rollingIndex]?.historyLength ?? L}) AS g${j}`,
  );
  // the usual case, one record for the month after the latest row, needs no index lists
  const nextArrays = layout.rolling.map((r, i) => `list_prepend(w.v${i}, l.${quoteIdent(r.column)})[1:${r.historyLength}] AS a${i}`);
  const nextGrids = layout.grids.map(
    (g, j) => `left(${gridChar(`w.v${g.rollingIndex}`, g.placeholder)} || l.${quoteIdent(g.name)}, ${layout.rolling[g.rollingIndex]?.historyLength ?? L}) AS g${j}`,
  );
  const next = `fl.n = 1 AND w.mi = w.lmi + 1`;
  // each branch picks its records (joined to their account's lists) before the join with the wide
  // latest rows, so that join reads only the rows it shifts
  const batch = (extra: string, where: string) =>
    `SELECT w.*, fl.maxmi${extra} FROM ${p.work} w JOIN __sp_fl fl ON fl.acct = w.acct WHERE w.bucket = ${p.bucket} AND w.fast AND ${where}`;
  const listCols = ["tss", "mis", ...layout.rolling.map((_, i) => `vals${i}`)];
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_frows AS
     SELECT w.*, w.ts AS new_base_ts, ${[...nextArrays, ...nextGrids].join(", ")}
     FROM (${batch("", next)}) w
     JOIN ${targets.latest} l ON l.${acctCol} = w.acct
     UNION ALL
     SELECT w.* EXCLUDE (idx, ${listCols.join(", ")}), list_max(list_select(w.tss, w.idx)[1:${L}]) AS new_base_ts, ${[...arrays, ...fastGrids].join(", ")}
     FROM (SELECT *, list_transform(range(mi - lmi), lambda k: coalesce(list_position(mis, mi - k), 0)) AS idx
           FROM (${batch(`, ${listCols.map((c) => `fl.${c}`).join(", ")}`, `NOT (${next})`)})) w
     JOIN ${targets.latest} l ON l.${acctCol} = w.acct`,
  );
  // checked against the latest rows they shift, before those are replaced
  await checkFastRows(conn, layout, targets);
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
  await execute(conn, `INSERT INTO ${targets.records} SELECT ${recordIndexSelect(layout)} FROM ${p.work} WHERE bucket = ${p.bucket} AND fast`);
  const accounts = await queryOne(conn, `SELECT count(*) AS n FROM __sp_fl`);
  await execute(conn, "DROP TABLE IF EXISTS __sp_fl");
  await execute(conn, "DROP TABLE IF EXISTS __sp_frows");
  return { rowsInserted: records, rowsUpdated: 0, latestRowsWritten: Number(accounts?.n ?? 0), records };
}

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
  // the record index first: timestamps below are read from it, batch included
  // (a revived row changes nothing in the index: its tombstone stays in force)
  const indexChanges = `SELECT * FROM (${changes}) WHERE kase <> 'revive'`;
  // the existing rows in reach, read from the summary once: for the cells below, the undo data
  // and the checks of the rewritten rows against the row before them
  // (only accounts that have rows: a batch of new accounts alone does not scan the summary). The
  // rows are found by key and month first, then fetched by row id: the accounts are spread over
  // the whole table, and one pass over the keys alone is far cheaper than one over every column.
  const withRows = await queryOne(conn, `SELECT count(*) AS n FROM (${changes}) WHERE NOT new_account`);
  if (Number(withRows?.n ?? 0) === 0) {
    await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_pre AS SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s LIMIT 0`);
  } else {
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_prek AS
       SELECT s.rowid AS rid FROM ${targets.summary} s JOIN __sp_fa f ON f.acct = s.${acctCol}
       WHERE ${sMi("s")} BETWEEN f.lo - ${L - 1} AND f.hi`,
    );
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_pre AS
       SELECT s.*, ${sMi("s")} AS __sp_mi FROM ${targets.summary} s WHERE s.rowid IN (SELECT rid FROM __sp_prek)`,
    );
  }
  await recordFullPathUndo(conn, { runId: p.undoRunId, layout, targets, fa: "__sp_fa", pre: "__sp_pre", changes: indexChanges });
  await execute(
    conn,
    `DELETE FROM ${targets.records} r USING (${indexChanges}) w WHERE r.acct = w.acct AND r.mi = w.mi`,
  );
  await execute(conn, `INSERT INTO ${targets.records} SELECT ${recordIndexSelect(layout)} FROM (${indexChanges})`);

  // existing rows in reach: element 0 of each array is the mapped value of that month's live record
  const exCols = [
    `s.${acctCol} AS acct`,
    `s.__sp_mi AS mi`,
    ...layout.rolling.map((r, i) => `s.${quoteIdent(r.column)}[1] AS e${i}`),
    ...layout.scalars.map((sc, i) => `s.${quoteIdent(sc.name)} AS s${i}`),
    layout.deleteFlag ? `s.${quoteIdent(layout.deleteFlag.column)} AS dflag` : `NULL AS dflag`,
  ];
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_ex AS SELECT ${exCols.join(", ")} FROM __sp_pre s`);
  const pick = (batch: string, existing: string) => `CASE WHEN w.mi IS NOT NULL THEN ${batch} ELSE ${existing} END`;
  const cellCols = [
    `coalesce(w.acct, e.acct) AS acct`,
    `coalesce(w.mi, e.mi) AS mi`,
    // a row exists once its month ever had a live record (this batch's losers included)
    `(e.mi IS NOT NULL OR (w.mi IS NOT NULL AND (NOT w.tomb OR w.any_live))) AS row_exists`,
    `e.mi IS NOT NULL AS existed`,
    ...layout.rolling.map((_, i) => `${pick(`CASE WHEN w.tomb THEN NULL ELSE w.v${i} END`, `e.e${i}`)} AS v${i}`),
    ...layout.scalars.map((_, i) => `${pick(`w.s${i}`, `e.s${i}`)} AS s${i}`),
    `${pick("w.dflag", "e.dflag")} AS dflag`,
  ];
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_cells AS
     SELECT ${cellCols.join(", ")} FROM __sp_ex e FULL OUTER JOIN (${changes}) w ON w.acct = e.acct AND w.mi = e.mi`,
  );
  // Every month of each account from its first known month to its last row, gaps included, so a
  // window of the last L rows is exactly the last L months: the arrays are window lists (newest
  // first after reversal, NULL-padded), base_ts the window maximum of the record index's timestamps.
  const gridCols = [
    "c.row_exists",
    "c.existed",
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
     WITH t AS (SELECT r.acct, r.mi, r.ts FROM ${targets.records} r
                JOIN __sp_fa f ON f.acct = r.acct WHERE r.mi BETWEEN f.lo - ${L - 1} AND f.hi),
          b AS (SELECT acct, min(mi) AS g0 FROM (SELECT acct, mi FROM __sp_cells UNION ALL SELECT acct, mi FROM t) GROUP BY acct),
          e AS (SELECT acct, max(mi) AS g1 FROM __sp_cells WHERE row_exists GROUP BY acct),
          g AS (SELECT b.acct, unnest(range(b.g0, e.g1 + 1)) AS mi FROM b JOIN e ON e.acct = b.acct),
          d AS (SELECT g.acct, g.mi, ${gridCols}, t.ts FROM g
                LEFT JOIN __sp_cells c ON c.acct = g.acct AND c.mi = g.mi
                LEFT JOIN t ON t.acct = g.acct AND t.mi = g.mi),
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
  for (const t of ["__sp_fa", "__sp_prek", "__sp_pre", "__sp_ex", "__sp_cells", "__sp_rows", "__sp_redo", "__sp_nolive"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return {
    rowsInserted: Number(counts?.ins ?? 0),
    rowsUpdated: Number(counts?.upd ?? 0),
    latestRowsWritten: Number(latest?.n ?? 0),
    records,
  };
}
