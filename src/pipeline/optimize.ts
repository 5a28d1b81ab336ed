// Table optimization (SPEC §8): rewrite the summary tables and the record index in (account, month)
// order so zone maps prune by account, reclaim space with a checkpoint, refresh statistics, expire
// undo data beyond `undo_retention_runs`, and report the bytes before and after. Run by
// `--optimize`, and automatically every `optimization.auto_every_n_runs` successful runs (counted
// across runs, in the engine database).
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "./config/schema";
import { execute, inTransaction, queryOne, quoteIdent } from "./engine/duckdb";
import { monthIndexSql, monthKindOfType } from "./sql/months";
import { stateTable, tableColumns, tableExists } from "./state/store";
import { expireUndo } from "./undo";

export interface OptimizeResult {
  /** Bytes in the blocks the data uses, before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /**
   * The database file's size, before and after: DuckDB reuses the blocks it frees but does not
   * shrink the file, and the rewrite holds both copies of a table until its checkpoint.
   */
  fileBytesBefore: number;
  fileBytesAfter: number;
  tables: { name: string; rows: number }[];
  /** Runs whose undo data was dropped (beyond optimization.undo_retention_runs). */
  undoExpired: string[];
  durationMs: number;
}

async function databaseBytes(conn: DuckDBConnection): Promise<{ used: number; file: number }> {
  const r = await queryOne(
    conn,
    "SELECT used_blocks, total_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()",
  );
  const block = Number(r?.block_size ?? 0);
  return { used: Number(r?.used_blocks ?? 0) * block, file: Number(r?.total_blocks ?? 0) * block };
}

export async function ensureOptimizeLog(conn: DuckDBConnection): Promise<void> {
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${stateTable("optimize_log")} (optimized_at TIMESTAMP NOT NULL, after_run_seq BIGINT NOT NULL, bytes_before BIGINT, bytes_after BIGINT, trigger VARCHAR)`,
  );
}

/** Successful runs since the last optimization. */
export async function runsSinceOptimize(conn: DuckDBConnection): Promise<number> {
  await ensureOptimizeLog(conn);
  const r = await queryOne(
    conn,
    `SELECT count(*) AS n FROM ${stateTable("runs")}
     WHERE status = 'succeeded' AND seq > (SELECT coalesce(max(after_run_seq), 0) FROM ${stateTable("optimize_log")})`,
  );
  return Number(r?.n ?? 0);
}

/** Rewrites the tables in order and reclaims space. The caller must hold the engine database. */
export async function optimizeTables(conn: DuckDBConnection, cfg: PipelineConfig, trigger: string): Promise<OptimizeResult> {
  const t0 = performance.now();
  await ensureOptimizeLog(conn);
  await execute(conn, "CHECKPOINT");
  const before = await databaseBytes(conn);
  const undoExpired = await inTransaction(conn, () => expireUndo(conn, cfg.optimization.undo_retention_runs));
  const tables: { name: string; rows: number }[] = [];
  const sorted = async (schema: string, name: string, order: string) => {
    if (!(await tableExists(conn, schema, name))) return;
    const qualified = schema === "main" ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
    const tmp = `${name}__optimize`;
    const qtmp = schema === "main" ? quoteIdent(tmp) : `${quoteIdent(schema)}.${quoteIdent(tmp)}`;
    await inTransaction(conn, async () => {
      await execute(conn, `DROP TABLE IF EXISTS ${qtmp}`);
      await execute(conn, `CREATE TABLE ${qtmp} AS SELECT * FROM ${qualified} ORDER BY ${order}`);
      await execute(conn, `DROP TABLE ${qualified}`);
      await execute(conn, `ALTER TABLE ${qtmp} RENAME TO ${quoteIdent(name)}`);
    });
    const r = await queryOne(conn, `SELECT count(*) AS n FROM ${qualified}`);
    tables.push({ name: schema === "main" ? name : `${schema}.${name}`, rows: Number(r?.n ?? 0) });
  };
  if (await tableExists(conn, "main", cfg.tables.summary)) {
    const cols = await tableColumns(conn, "main", cfg.tables.summary);
    const m = cols.find((c) => c.name === cfg.keys.month);
    const kind = cfg.keys.month_type ?? (m ? monthKindOfType(m.type) : null);
    const order = `${quoteIdent(cfg.keys.account)}, ${kind ? monthIndexSql(kind, quoteIdent(cfg.keys.month)) : quoteIdent(cfg.keys.month)}`;
    await sorted("main", cfg.tables.summary, order);
    await sorted("main", cfg.tables.latest_summary, quoteIdent(cfg.keys.account));
  }
  await sorted("_sp", "records", "acct, mi");
  await execute(conn, "CHECKPOINT");
  await execute(conn, "ANALYZE");
  const after = await databaseBytes(conn);
  const seq = await queryOne(conn, `SELECT coalesce(max(seq), 0) AS s FROM ${stateTable("runs")}`);
  await execute(conn, `INSERT INTO ${stateTable("optimize_log")} VALUES (now(), $1, $2, $3, $4)`, [
    Number(seq?.s ?? 0),
    before.used,
    after.used,
    trigger,
  ]);
  return {
    bytesBefore: before.used,
    bytesAfter: after.used,
    fileBytesBefore: before.file,
    fileBytesAfter: after.file,
    tables,
    undoExpired,
    durationMs: Math.round(performance.now() - t0),
  };
}
