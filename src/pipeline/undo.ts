// Undo data and rollback (SPEC §8, issue #6). A run records only what it changes, in the same
// transaction as the change:
// - an incremental bucket's full path: the (account, lo..hi) ranges it rewrote and the record-index
//   rows it replaced. The index holds every record's payload and whether its month has a row, so a
//   rollback restores the index and rebuilds those accounts' rows from it: no copy of summary rows.
//   Rows the fast path inserted need nothing: they sit at the keys of the run's own records
//   (seq = run seq · 2^40 + position), where no row existed before;
// - finalize: the watermark it replaced; an initial build keeps the tables it replaced (renamed,
//   not copied) and the manifest it cleared.
// `latest_summary` and the trailing-tombstone set are derived, so a rollback recomputes them for
// the accounts it touched. Quarantine and manifest rows carry their run id.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "./config/schema";
import { execute, queryOne, queryRows, quoteIdent, type Row } from "./engine/duckdb";
import { PipelineError } from "./errors";
import { upgradeRecordIndex } from "./execute/index-upgrade";
import { buildRowsFromIndex } from "./execute/initial";
import { liveRowSql, refreshTail, summaryColumnNames } from "./execute/tables";
import { checkInvariants } from "./invariants";
import type { Layout } from "./layout";
import { SEQ_RUN_SHIFT } from "./plan/classify";
import { monthIndexSql } from "./sql/months";
import { STATE_SCHEMA, stateTable, tableExists } from "./state/store";
import { buildTargets, liveTargets, workTable, type Targets } from "./targets";

// "summary" is kept by runs recorded before the record index held each record's payload
type Part = "ranges" | "summary" | "records" | "manifest";

export function undoTableName(runId: string, part: Part): string {
  return `undo_${runId}_${part}`;
}

export function undoTable(runId: string, part: Part): string {
  return stateTable(undoTableName(runId, part));
}

/** Where an initial build parks the table it replaced: beside it, renamed. */
function parkedName(table: string, runId: string): string {
  return `${table}__undo_${runId}`;
}

export async function ensureUndoLog(conn: DuckDBConnection): Promise<void> {
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("undo_runs")} (
      run_id VARCHAR PRIMARY KEY,
      initial BOOLEAN NOT NULL,
      watermark_source VARCHAR,
      had_watermark BOOLEAN,
      watermark_ts TIMESTAMP,
      watermark_run VARCHAR,
      parked_json VARCHAR,
      expired BOOLEAN NOT NULL DEFAULT FALSE,
      recorded_at TIMESTAMP NOT NULL
    )`,
  );
}

/** A new run starts its undo record (before it changes anything). */
export async function beginUndo(conn: DuckDBConnection, runId: string, initial: boolean): Promise<void> {
  await ensureUndoLog(conn);
  await execute(conn, `INSERT OR IGNORE INTO ${stateTable("undo_runs")} (run_id, initial, recorded_at) VALUES ($1, $2, now())`, [
    runId,
    initial,
  ]);
}

/**
 * Inside a bucket's transaction, before the full path rewrites anything: the ranges in `fa`
 * (acct, lo, hi) and the record-index rows the batch replaces, `records` (a copy taken before
 * the transaction). The summary rows need no copy: a rollback rebuilds the accounts' rows from the
 * index it restores.
 */
export async function recordFullPathUndo(
  conn: DuckDBConnection,
  p: { runId: string; targets: Targets; fa: string; records: string },
): Promise<void> {
  const ranges = undoTable(p.runId, "ranges");
  const records = undoTable(p.runId, "records");
  await execute(conn, `CREATE TABLE IF NOT EXISTS ${ranges} AS SELECT acct, lo, hi FROM ${p.fa} LIMIT 0`);
  await execute(conn, `CREATE TABLE IF NOT EXISTS ${records} AS SELECT * FROM ${p.targets.records} LIMIT 0`);
  await execute(conn, `INSERT INTO ${ranges} SELECT acct, lo, hi FROM ${p.fa}`);
  await execute(
    conn,
    `INSERT INTO ${records} SELECT * FROM ${p.records}`,
  );
}

/**
 * Inside finalize, before it changes the watermark or swaps tables: the watermark it replaces, and
 * for an initial build the live tables it replaces (renamed beside, so rollback renames them back)
 * and the manifest it clears.
 */
export async function recordFinalizeUndo(
  conn: DuckDBConnection,
  p: { runId: string; initial: boolean; watermarkSource: string | null; cfg: PipelineConfig },
): Promise<void> {
  await beginUndo(conn, p.runId, p.initial);
  if (p.watermarkSource !== null) {
    const w = await queryOne(conn, `SELECT CAST(ts AS VARCHAR) AS ts, run_id FROM ${stateTable("watermark")} WHERE source = $1`, [
      p.watermarkSource,
    ]);
    await execute(
      conn,
      `UPDATE ${stateTable("undo_runs")} SET watermark_source = $2, had_watermark = $3, watermark_ts = CAST($4 AS TIMESTAMP), watermark_run = $5 WHERE run_id = $1`,
      [p.runId, p.watermarkSource, w !== null, w?.ts === undefined || w.ts === null ? null : String(w.ts), w ? String(w.run_id) : null],
    );
  }
  if (!p.initial) return;
  const live = liveTargets(p.cfg);
  const parked: Record<string, string> = {};
  const park = async (schema: string, name: string) => {
    if (!(await tableExists(conn, schema, name))) return;
    const to = parkedName(name, p.runId);
    const from = schema === "main" ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
    const toQualified = schema === "main" ? quoteIdent(to) : `${quoteIdent(schema)}.${quoteIdent(to)}`;
    await execute(conn, `DROP TABLE IF EXISTS ${toQualified}`);
    await execute(conn, `ALTER TABLE ${from} RENAME TO ${quoteIdent(to)}`);
    parked[`${schema}.${name}`] = to;
  };
  await park("main", live.names.summary);
  await park("main", live.names.latest);
  await park(STATE_SCHEMA, live.names.records);
  await park(STATE_SCHEMA, live.names.tail);
  await execute(conn, `CREATE OR REPLACE TABLE ${undoTable(p.runId, "manifest")} AS SELECT * FROM ${stateTable("manifest")}`);
  await execute(conn, `UPDATE ${stateTable("undo_runs")} SET parked_json = $2 WHERE run_id = $1`, [p.runId, JSON.stringify(parked)]);
}

interface RunToUndo {
  runId: string;
  seq: number;
  status: string;
  mode: string;
  layout: Layout | null;
  undo: Row | null;
}

export interface RollbackResult {
  /** The runs rolled back, newest first. */
  runs: { runId: string; mode: string; status: string }[];
  accounts: number;
  summaryRows: { before: number; after: number };
  durationMs: number;
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await queryOne(conn, sql))?.n ?? 0);
}

/**
 * The runs a rollback of `runId` undoes, newest first: every run from the newest back to it that is
 * not rolled back already. Refused when one of them kept no undo data or its undo data expired.
 */
export async function rollbackChain(conn: DuckDBConnection, runId: string): Promise<RunToUndo[]> {
  await ensureUndoLog(conn);
  const target = await queryOne(conn, `SELECT seq, status FROM ${stateTable("runs")} WHERE run_id = $1`, [runId]);
  if (!target) throw new PipelineError("RUN_STATE", `no run ${runId} in this engine database`, { where: runId });
  if (String(target.status) === "rolled_back") {
    throw new PipelineError("RUN_STATE", `run ${runId} is already rolled back`, { where: runId });
  }
  const rows = await queryRows(
    conn,
    `SELECT r.run_id, r.seq, r.status, r.mode, r.layout_json, u.run_id AS undo_run, u.initial, u.watermark_source, u.had_watermark,
            CAST(u.watermark_ts AS VARCHAR) AS watermark_ts, u.watermark_run, u.parked_json, u.expired
     FROM ${stateTable("runs")} r LEFT JOIN ${stateTable("undo_runs")} u ON u.run_id = r.run_id
     WHERE r.seq >= $1 AND r.status <> 'rolled_back' ORDER BY r.seq DESC`,
    [Number(target.seq)],
  );
  const chain: RunToUndo[] = rows.map((r) => ({
    runId: String(r.run_id),
    seq: Number(r.seq),
    status: String(r.status),
    mode: String(r.mode),
    layout: r.layout_json ? (JSON.parse(String(r.layout_json)) as Layout) : null,
    undo: r.undo_run === null || r.undo_run === undefined ? null : r,
  }));
  // a later run of the chain is named as the reason the target cannot be rolled back
  const refuse = (r: RunToUndo, why: string) =>
    new PipelineError("RUN_STATE", r.runId === runId ? `run ${runId} ${why}` : `run ${runId} cannot be rolled back without the later run ${r.runId}, which ${why}`, {
      where: r.runId,
    });
  for (const r of chain) {
    if (r.status === "running") throw refuse(r, "is still running; roll back after it ends");
    if (!r.undo) throw refuse(r, "kept no undo data (it ran before undo data was recorded); it cannot be rolled back");
    if (r.undo.expired === true) throw refuse(r, "has expired undo data (optimization.undo_retention_runs); it cannot be rolled back");
  }
  return chain;
}

/**
 * Rolls back `runId` and every later run (newest first). The caller holds the engine database and
 * runs this inside one transaction: the chain is undone whole or not at all.
 */
export async function rollbackRuns(conn: DuckDBConnection, cfg: PipelineConfig, runId: string): Promise<RollbackResult> {
  const t0 = performance.now();
  const chain = await rollbackChain(conn, runId);
  const live = liveTargets(cfg);
  const summaryRows = async () => ((await tableExists(conn, "main", live.names.summary)) ? count(conn, `SELECT count(*) AS n FROM ${live.summary}`) : 0);
  const before = await summaryRows();
  await execute(conn, "DROP TABLE IF EXISTS __sp_rb_scope");
  // an index still in the format before it held each record's payload is filled in first
  const newest = chain.find((r) => r.layout !== null)?.layout;
  if (newest && (await tableExists(conn, "main", live.names.summary))) await upgradeRecordIndex(conn, newest, live, live.names.summary);
  let accounts = 0;
  for (const run of chain) {
    accounts += await undoOne(conn, cfg, run);
  }
  // an account restored by several runs of the chain is counted once (and checked once)
  if (accounts > 0) accounts = await count(conn, `SELECT count(DISTINCT acct) AS n FROM __sp_rb_scope`);
  if (accounts > 0 && (await tableExists(conn, "main", live.names.summary))) {
    await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_rb_scope AS SELECT DISTINCT acct, lo FROM __sp_rb_scope`);
    const violations = await checkInvariants(conn, cfg, { accounts: "__sp_rb_scope" });
    if (violations.length > 0) {
      throw new PipelineError("INVARIANT", `after rolling back, the tables fail ${violations.length} invariant check(s); nothing was changed`, {
        issues: violations.map((v) => ({ path: v.check, message: `${v.rows} row(s)` })),
      });
    }
  }
  await execute(conn, "DROP TABLE IF EXISTS __sp_rb_scope");
  return {
    runs: chain.map((r) => ({ runId: r.runId, mode: r.mode, status: r.status })),
    accounts,
    summaryRows: { before, after: await summaryRows() },
    durationMs: Math.round(performance.now() - t0),
  };
}

async function dropUndoTables(conn: DuckDBConnection, runId: string): Promise<void> {
  for (const part of ["ranges", "summary", "records", "manifest"] as const) await execute(conn, `DROP TABLE IF EXISTS ${undoTable(runId, part)}`);
}

/** Undoes one run; returns the number of accounts whose rows it restored. */
async function undoOne(conn: DuckDBConnection, cfg: PipelineConfig, run: RunToUndo): Promise<number> {
  const u = run.undo;
  if (!u) throw new Error("no undo record");
  const live = liveTargets(cfg);
  let accounts = 0;
  if (u.initial === true) {
    // an unfinished build never replaced anything: its build tables go; a finished one is swapped back
    const build = buildTargets(cfg, run.runId);
    for (const t of [build.summary, build.latest, build.records, build.tail]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
    if (run.status === "succeeded") {
      const parked = u.parked_json ? (JSON.parse(String(u.parked_json)) as Record<string, string>) : {};
      const restore = async (schema: string, name: string) => {
        const qualified = (n: string) => (schema === "main" ? quoteIdent(n) : `${quoteIdent(schema)}.${quoteIdent(n)}`);
        await execute(conn, `DROP TABLE IF EXISTS ${qualified(name)}`);
        const from = parked[`${schema}.${name}`];
        if (from) await execute(conn, `ALTER TABLE ${qualified(from)} RENAME TO ${quoteIdent(name)}`);
      };
      await restore("main", live.names.summary);
      await restore("main", live.names.latest);
      await restore(STATE_SCHEMA, live.names.records);
      await restore(STATE_SCHEMA, live.names.tail);
      if (await tableExists(conn, STATE_SCHEMA, undoTableName(run.runId, "manifest"))) {
        await execute(conn, `DELETE FROM ${stateTable("manifest")}`);
        await execute(conn, `INSERT INTO ${stateTable("manifest")} SELECT * FROM ${undoTable(run.runId, "manifest")}`);
      }
    }
  } else if (run.layout && (await tableExists(conn, "main", live.names.summary))) {
    accounts = await undoIncremental(conn, run, run.layout, live);
  }
  if (u.watermark_source !== null && u.watermark_source !== undefined) {
    if (u.had_watermark === true) {
      await execute(conn, `INSERT OR REPLACE INTO ${stateTable("watermark")} VALUES ($1, CAST($2 AS TIMESTAMP), $3)`, [
        String(u.watermark_source),
        u.watermark_ts === null ? null : String(u.watermark_ts),
        String(u.watermark_run),
      ]);
    } else {
      await execute(conn, `DELETE FROM ${stateTable("watermark")} WHERE source = $1`, [String(u.watermark_source)]);
    }
  }
  await execute(conn, `DELETE FROM ${stateTable("manifest")} WHERE run_id = $1`, [run.runId]);
  if (await tableExists(conn, "main", cfg.tables.quarantine)) {
    await execute(conn, `DELETE FROM ${quoteIdent(cfg.tables.quarantine)} WHERE run_id = $1`, [run.runId]);
  }
  await execute(conn, `DROP TABLE IF EXISTS ${workTable(run.runId)}`);
  await dropUndoTables(conn, run.runId);
  await execute(conn, `DELETE FROM ${stateTable("checkpoints")} WHERE run_id = $1`, [run.runId]);
  await execute(conn, `UPDATE ${stateTable("runs")} SET status = 'rolled_back', finished_at = coalesce(finished_at, now()) WHERE run_id = $1`, [
    run.runId,
  ]);
  await execute(conn, `DELETE FROM ${stateTable("undo_runs")} WHERE run_id = $1`, [run.runId]);
  return accounts;
}

async function undoIncremental(conn: DuckDBConnection, run: RunToUndo, layout: Layout, t: Targets): Promise<number> {
  const acctCol = quoteIdent(layout.accountColumn);
  const sMi = (alias: string) => monthIndexSql(layout.monthKind, `${alias}.${quoteIdent(layout.monthColumn)}`);
  const lo = BigInt(run.seq) * BigInt(SEQ_RUN_SHIFT);
  const hi = lo + BigInt(SEQ_RUN_SHIFT);
  const ownRecords = `SELECT acct, mi FROM ${t.records} WHERE seq >= ${lo} AND seq < ${hi}`;
  const hasFull = await tableExists(conn, STATE_SCHEMA, undoTableName(run.runId, "ranges"));
  const ranges = hasFull ? undoTable(run.runId, "ranges") : `(SELECT NULL::${layout.accountKind} AS acct, 0 AS lo, 0 AS hi WHERE FALSE)`;
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_rb_acc AS
     SELECT acct, min(lo) AS lo FROM (SELECT acct, mi AS lo FROM (${ownRecords}) UNION ALL SELECT acct, lo FROM ${ranges}) GROUP BY acct`,
  );
  const accounts = await count(conn, `SELECT count(*) AS n FROM __sp_rb_acc`);
  if (accounts === 0) return 0;
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_rb_full AS SELECT DISTINCT acct FROM ${ranges}`);
  // the rows the run's fast path appended go (they sit at its own records' keys)
  await execute(conn, `DELETE FROM ${t.summary} s USING (${ownRecords}) k WHERE s.${acctCol} = k.acct AND ${sMi("s")} = k.mi`);
  // the record index as it was: the run's records go, the rows they replaced come back
  await execute(conn, `DELETE FROM ${t.records} WHERE seq >= ${lo} AND seq < ${hi}`);
  if (hasFull) {
    const saved = undoTable(run.runId, "records");
    await execute(conn, `DELETE FROM ${t.records} r USING ${saved} u WHERE r.acct = u.acct AND r.mi = u.mi`);
    await execute(conn, `INSERT INTO ${t.records} BY NAME SELECT * FROM ${saved}`);
  }
  await execute(conn, `DELETE FROM ${t.latest} WHERE ${acctCol} IN (SELECT acct FROM __sp_rb_acc)`);
  // the accounts whose rows the run rewrote are rebuilt whole from the restored index, latest rows included
  if (hasFull) {
    await execute(conn, `DELETE FROM ${t.summary} WHERE ${acctCol} IN (SELECT acct FROM __sp_rb_full)`);
    await buildRowsFromIndex(conn, layout, t, "__sp_rb_full");
  }
  // the others lost only appended rows: latest is their newest live row left
  const cols = summaryColumnNames(layout);
  await execute(
    conn,
    `INSERT INTO ${t.latest} (${cols.join(", ")})
     SELECT ${cols.map((c) => `s.${c}`).join(", ")} FROM ${t.summary} s
     WHERE s.${acctCol} IN (SELECT acct FROM __sp_rb_acc WHERE acct NOT IN (SELECT acct FROM __sp_rb_full)) AND ${liveRowSql(layout, "s")}
     QUALIFY row_number() OVER (PARTITION BY s.${acctCol} ORDER BY ${sMi("s")} DESC) = 1`,
  );
  await refreshTail(conn, layout, t, "__sp_rb_acc");
  // the accounts to check afterwards (all their rows: lo 0)
  await execute(conn, `CREATE TEMP TABLE IF NOT EXISTS __sp_rb_scope (acct ${layout.accountKind}, lo INTEGER)`);
  await execute(conn, `INSERT INTO __sp_rb_scope SELECT acct, 0 FROM __sp_rb_acc`);
  await execute(conn, "DROP TABLE IF EXISTS __sp_rb_acc");
  await execute(conn, "DROP TABLE IF EXISTS __sp_rb_full");
  return accounts;
}

/**
 * Keeps undo data for the newest `keep` runs that have it; older runs' undo data (and the tables an
 * initial build parked) is dropped and the run marked expired. Returns the runs expired.
 */
export async function expireUndo(conn: DuckDBConnection, keep: number): Promise<string[]> {
  await ensureUndoLog(conn);
  const rows = await queryRows(
    conn,
    `SELECT u.run_id, u.parked_json FROM ${stateTable("undo_runs")} u JOIN ${stateTable("runs")} r ON r.run_id = u.run_id
     WHERE NOT u.expired AND r.status <> 'running'
     ORDER BY r.seq DESC OFFSET ${Math.max(0, Math.floor(keep))}`,
  );
  for (const r of rows) {
    const runId = String(r.run_id);
    await dropUndoTables(conn, runId);
    const parked = r.parked_json ? (JSON.parse(String(r.parked_json)) as Record<string, string>) : {};
    for (const [key, name] of Object.entries(parked)) {
      const schema = key.slice(0, key.indexOf("."));
      await execute(conn, `DROP TABLE IF EXISTS ${schema === "main" ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`}`);
    }
    await execute(conn, `UPDATE ${stateTable("undo_runs")} SET expired = TRUE, parked_json = NULL WHERE run_id = $1`, [runId]);
  }
  return rows.map((r) => String(r.run_id));
}
