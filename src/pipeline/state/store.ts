// Engine-side state in the `_sp` schema of the engine database, so that data and the checkpoint
// that covers it commit in one transaction: runs, bucket checkpoints, watermark, file manifest,
// the de-duplicated record index (V of SPEC §3) and accounts with trailing tombstones.
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryOne, queryRows, quoteIdent, type Row } from "../engine/duckdb";

export const STATE_SCHEMA = "_sp";

export function stateTable(name: string): string {
  return `${quoteIdent(STATE_SCHEMA)}.${quoteIdent(name)}`;
}

export async function ensureStateTables(conn: DuckDBConnection): Promise<void> {
  await execute(conn, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(STATE_SCHEMA)}`);
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("runs")} (
      run_id VARCHAR PRIMARY KEY,
      seq BIGINT NOT NULL,
      status VARCHAR NOT NULL,
      mode VARCHAR NOT NULL,
      config_json VARCHAR NOT NULL,
      config_version VARCHAR,
      input_json VARCHAR,
      layout_json VARCHAR,
      plan_json VARCHAR,
      n_buckets INTEGER,
      counts_json VARCHAR,
      timings_json VARCHAR,
      error VARCHAR,
      owner VARCHAR,
      ingest_ts TIMESTAMP,
      created_at TIMESTAMP NOT NULL,
      finished_at TIMESTAMP
    )`,
  );
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("checkpoints")} (
      run_id VARCHAR NOT NULL,
      bucket INTEGER NOT NULL,
      rows_written BIGINT NOT NULL,
      counts_json VARCHAR,
      committed_at TIMESTAMP NOT NULL,
      PRIMARY KEY (run_id, bucket)
    )`,
  );
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("watermark")} (
      source VARCHAR PRIMARY KEY,
      ts TIMESTAMP,
      run_id VARCHAR NOT NULL
    )`,
  );
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("manifest")} (
      path VARCHAR NOT NULL,
      size BIGINT NOT NULL,
      hash VARCHAR NOT NULL,
      run_id VARCHAR NOT NULL,
      ingested_at TIMESTAMP NOT NULL
    )`,
  );
}

export interface EngineRunRow {
  runId: string;
  seq: number;
  status: string;
  mode: string;
  configJson: string;
  configVersion: string | null;
  inputJson: string | null;
  layoutJson: string | null;
  planJson: string | null;
  nBuckets: number | null;
  countsJson: string | null;
  timingsJson: string | null;
  error: string | null;
  owner: string | null;
  ingestTs: string | null;
  createdAt: string;
  finishedAt: string | null;
}

function toRunRow(r: Row): EngineRunRow {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    runId: String(r.run_id),
    seq: Number(r.seq),
    status: String(r.status),
    mode: String(r.mode),
    configJson: String(r.config_json),
    configVersion: s(r.config_version),
    inputJson: s(r.input_json),
    layoutJson: s(r.layout_json),
    planJson: s(r.plan_json),
    nBuckets: r.n_buckets === null || r.n_buckets === undefined ? null : Number(r.n_buckets),
    countsJson: s(r.counts_json),
    timingsJson: s(r.timings_json),
    error: s(r.error),
    owner: s(r.owner),
    ingestTs: s(r.ingest_ts),
    createdAt: String(r.created_at),
    finishedAt: s(r.finished_at),
  };
}

const runColumns = `run_id, seq, status, mode, config_json, config_version, input_json, layout_json, plan_json,
  n_buckets, counts_json, timings_json, error, owner, CAST(ingest_ts AS VARCHAR) AS ingest_ts,
  CAST(created_at AS VARCHAR) AS created_at, CAST(finished_at AS VARCHAR) AS finished_at`;

export async function getEngineRun(conn: DuckDBConnection, runId: string): Promise<EngineRunRow | null> {
  const r = await queryOne(conn, `SELECT ${runColumns} FROM ${stateTable("runs")} WHERE run_id = $1`, [runId]);
  return r ? toRunRow(r) : null;
}

export async function listEngineRuns(conn: DuckDBConnection, limit = 50): Promise<EngineRunRow[]> {
  const rows = await queryRows(conn, `SELECT ${runColumns} FROM ${stateTable("runs")} ORDER BY seq DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
  return rows.map(toRunRow);
}

export async function nextRunSeq(conn: DuckDBConnection): Promise<number> {
  const r = await queryOne(conn, `SELECT coalesce(max(seq), 0) + 1 AS s FROM ${stateTable("runs")}`);
  return Number(r?.s ?? 1);
}

/** The rows a committed bucket wrote, as its checkpoint recorded them. */
export interface BucketRows {
  rowsInserted: number;
  rowsUpdated: number;
  latestRowsWritten: number;
}

/** A run's committed buckets and what each wrote (a resume counts them in its totals). */
export async function committedBuckets(conn: DuckDBConnection, runId: string): Promise<Map<number, BucketRows>> {
  const rows = await queryRows(conn, `SELECT bucket, rows_written, counts_json FROM ${stateTable("checkpoints")} WHERE run_id = $1`, [runId]);
  return new Map(rows.map((r) => [Number(r.bucket), bucketRowsOf(r)]));
}

function bucketRowsOf(r: Row): BucketRows {
  let c: Partial<Record<keyof BucketRows, unknown>> = {};
  try {
    c = JSON.parse(String(r.counts_json ?? "{}")) as typeof c;
  } catch {
    // a checkpoint without readable counts: its rows_written stands for its inserts
  }
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return typeof c.rowsInserted === "number"
    ? { rowsInserted: n(c.rowsInserted), rowsUpdated: n(c.rowsUpdated), latestRowsWritten: n(c.latestRowsWritten) }
    : { rowsInserted: Number(r.rows_written ?? 0), rowsUpdated: 0, latestRowsWritten: 0 };
}

export async function tableExists(conn: DuckDBConnection, schema: string, name: string): Promise<boolean> {
  const r = await queryOne(
    conn,
    `SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = $1 AND table_name = $2 AND database_name = current_database()`,
    [schema, name],
  );
  return Number(r?.n ?? 0) > 0;
}

/** Columns of a table; schema "temp" means the connection's temporary tables. */
export async function tableColumns(conn: DuckDBConnection, schema: string, name: string): Promise<{ name: string; type: string }[]> {
  const where = schema === "temp" ? `database_name = 'temp' AND $1 = 'temp'` : `schema_name = $1 AND database_name = current_database()`;
  const rows = await queryRows(
    conn,
    `SELECT column_name, data_type FROM duckdb_columns() WHERE ${where} AND table_name = $2 ORDER BY column_index`,
    [schema, name],
  );
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
}

/**
 * The writer claim: one row naming the run that may write and a fencing token that grows with
 * every claim. Each bucket commit checks the token inside its own transaction, so a run that was
 * paused while another took over cannot commit afterwards.
 */
export async function ensureWriterTable(conn: DuckDBConnection): Promise<void> {
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("writer")} (id INTEGER PRIMARY KEY, run_id VARCHAR, token BIGINT NOT NULL, owner VARCHAR, claimed_at TIMESTAMP)`,
  );
  await execute(conn, `INSERT OR IGNORE INTO ${stateTable("writer")} VALUES (1, NULL, 0, NULL, NULL)`);
}

export interface WriterClaim {
  runId: string | null;
  token: number;
  owner: string | null;
}

export async function readWriter(conn: DuckDBConnection): Promise<WriterClaim> {
  const r = await queryOne(conn, `SELECT run_id, token, owner FROM ${stateTable("writer")} WHERE id = 1`);
  return {
    runId: r?.run_id === null || r?.run_id === undefined ? null : String(r.run_id),
    token: Number(r?.token ?? 0),
    owner: r?.owner === null || r?.owner === undefined ? null : String(r.owner),
  };
}
