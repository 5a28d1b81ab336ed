// Table and run statistics (SPEC §8), read from the engine database alone so the CLI (`--stats`)
// and the dashboard's tables page share one service: rows, accounts, month range and bytes per
// table; rows per partition and skew; case counts and phase timings of recent runs; NULL density
// per array position (on a sample).
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "../config/schema";
import { historyLengthOf } from "../config/schema";
import { queryOne, queryRows, quoteIdent } from "../engine/duckdb";
import { chooseBucketCount } from "../plan/classify";
import { accountKindOfType, formatMonthIndex, monthIndexSql, monthKindOfType } from "../sql/months";
import { ownerIsAlive } from "../state/owner";
import { listEngineRuns, STATE_SCHEMA, tableColumns, tableExists } from "../state/store";

export interface TableStats {
  name: string;
  exists: boolean;
  rows: number;
  accounts: number | null;
  firstMonth: string | null;
  lastMonth: string | null;
  /** Bytes of checkpointed storage blocks (data still in the WAL is not counted). */
  bytes: number;
  bytesPerRow: number | null;
}

export interface PartitionStats {
  partitions: number;
  rows: { partition: number; rows: number }[];
  mean: number;
  max: number;
  min: number;
  /** max ÷ mean: 1 is perfectly even. */
  skew: number;
}

export interface NullDensity {
  column: string;
  historyLength: number;
  sampleRows: number;
  /** Share of NULLs at each position 0..L-1. */
  density: number[];
}

export interface RunStats {
  runId: string;
  status: string;
  mode: string;
  createdAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  timings: Record<string, number>;
  error: string | null;
}

export interface PipelineStats {
  database: { path: string; bytes: number; walBytes: string; blockSize: number };
  tables: TableStats[];
  partitions: PartitionStats | null;
  nullDensity: NullDensity[];
  runs: RunStats[];
}

const NULL_SAMPLE_ROWS = 200_000;

export async function collectStats(conn: DuckDBConnection, cfg: PipelineConfig, opts: { runs?: number } = {}): Promise<PipelineStats> {
  const db = await queryOne(conn, "SELECT database_size, block_size, total_blocks, wal_size FROM pragma_database_size() WHERE database_name = current_database()");
  const blockSize = Number(db?.block_size ?? 262144);
  const kinds = await summaryKinds(conn, cfg);
  const tables: TableStats[] = [];
  for (const name of [cfg.tables.summary, cfg.tables.latest_summary]) tables.push(await tableStats(conn, cfg, name, kinds, blockSize));
  tables.push(await tableStats(conn, cfg, cfg.tables.quarantine, null, blockSize));
  if (cfg.source.kind === "table") tables.push(await tableStats(conn, cfg, cfg.source.name, kinds, blockSize));
  const summary = tables[0];
  const partitions = summary?.exists && summary.rows > 0 ? await partitionStats(conn, cfg, summary.rows) : null;
  const nullDensity = summary?.exists && summary.rows > 0 ? await nullDensities(conn, cfg, summary.rows) : [];
  const runs = (await tableExists(conn, STATE_SCHEMA, "runs")) ? await listEngineRuns(conn, opts.runs ?? 20) : [];
  return {
    database: {
      path: cfg.engine.database,
      bytes: Number(db?.total_blocks ?? 0) * blockSize,
      walBytes: String(db?.wal_size ?? "0 bytes"),
      blockSize,
    },
    tables,
    partitions,
    nullDensity,
    runs: runs.map((r) => ({
      runId: r.runId,
      // a run whose process is gone (killed) is marked interrupted by the next run; shown so now
      status: r.status === "running" && !ownerIsAlive(r.owner) ? "interrupted" : r.status,
      mode: r.mode,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
      counts: parseNumbers(r.countsJson),
      timings: parseNumbers(r.timingsJson),
      error: r.error,
    })),
  };
}

function parseNumbers(json: string | null): Record<string, number> {
  if (!json) return {};
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "number")) as Record<string, number>;
  } catch {
    return {};
  }
}

type Kinds = { monthKind: NonNullable<ReturnType<typeof monthKindOfType>> } | null;

async function summaryKinds(conn: DuckDBConnection, cfg: PipelineConfig): Promise<Kinds> {
  if (!(await tableExists(conn, "main", cfg.tables.summary))) return null;
  const cols = await tableColumns(conn, "main", cfg.tables.summary);
  const m = cols.find((c) => c.name === cfg.keys.month);
  const a = cols.find((c) => c.name === cfg.keys.account);
  const monthKind = m ? (cfg.keys.month_type ?? monthKindOfType(m.type)) : null;
  return monthKind && a && accountKindOfType(a.type) ? { monthKind } : null;
}

async function tableStats(conn: DuckDBConnection, cfg: PipelineConfig, name: string, kinds: Kinds, blockSize: number): Promise<TableStats> {
  if (!(await tableExists(conn, "main", name))) {
    return { name, exists: false, rows: 0, accounts: null, firstMonth: null, lastMonth: null, bytes: 0, bytesPerRow: null };
  }
  const t = quoteIdent(name);
  const cols = await tableColumns(conn, "main", name);
  const hasKeys = kinds && cols.some((c) => c.name === cfg.keys.account) && cols.some((c) => c.name === cfg.keys.month);
  const mi = kinds ? monthIndexSql(kinds.monthKind, quoteIdent(cfg.keys.month)) : "NULL";
  const r = hasKeys
    ? await queryOne(conn, `SELECT count(*) AS n, count(DISTINCT ${quoteIdent(cfg.keys.account)}) AS a, min(${mi}) AS lo, max(${mi}) AS hi FROM ${t}`)
    : await queryOne(conn, `SELECT count(*) AS n FROM ${t}`);
  const blocks = await queryOne(
    conn,
    `SELECT count(DISTINCT block_id) AS b FROM pragma_storage_info(${`'${name.replaceAll("'", "''")}'`}) WHERE persistent`,
  );
  const rows = Number(r?.n ?? 0);
  const bytes = Number(blocks?.b ?? 0) * blockSize;
  return {
    name,
    exists: true,
    rows,
    accounts: hasKeys ? Number(r?.a ?? 0) : null,
    firstMonth: r?.lo === null || r?.lo === undefined ? null : formatMonthIndex(Number(r.lo)),
    lastMonth: r?.hi === null || r?.hi === undefined ? null : formatMonthIndex(Number(r.hi)),
    bytes,
    bytesPerRow: rows > 0 && bytes > 0 ? Math.round((bytes / rows) * 10) / 10 : null,
  };
}

async function partitionStats(conn: DuckDBConnection, cfg: PipelineConfig, rows: number): Promise<PartitionStats> {
  const n = Math.max(chooseBucketCount(cfg, rows), Math.min(16, cfg.partitioning.max_partitions));
  const parts = await queryRows(
    conn,
    `SELECT CAST(hash(${quoteIdent(cfg.keys.account)}) % ${n} AS INTEGER) AS p, count(*) AS c
     FROM ${quoteIdent(cfg.tables.summary)} GROUP BY p ORDER BY p`,
  );
  const counts = new Map(parts.map((p) => [Number(p.p), Number(p.c)]));
  const list = Array.from({ length: n }, (_, i) => ({ partition: i, rows: counts.get(i) ?? 0 }));
  const values = list.map((p) => p.rows);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const max = Math.max(...values);
  return { partitions: n, rows: list, mean, max, min: Math.min(...values), skew: mean > 0 ? Math.round((max / mean) * 1000) / 1000 : 0 };
}

/**
 * Up to NULL_SAMPLE_ROWS rows: all of them (exact, and a plain scan is faster than sampling). Beyond:
 * a block (system) sample of about that many rows — a row (reservoir) sample costs several times a
 * full scan, which made the stats page take seconds on a few hundred thousand rows.
 */
function nullSampleClause(rows: number): string {
  if (rows <= NULL_SAMPLE_ROWS) return "";
  const percent = Math.max(0.01, Math.min(100, (NULL_SAMPLE_ROWS / rows) * 100));
  return ` USING SAMPLE ${percent.toFixed(4)}% (system)`;
}

async function nullDensities(conn: DuckDBConnection, cfg: PipelineConfig, rows: number): Promise<NullDensity[]> {
  const out: NullDensity[] = [];
  const sample = nullSampleClause(rows);
  const cols = new Set((await tableColumns(conn, "main", cfg.tables.summary)).map((c) => c.name));
  for (const c of cfg.rolling_columns) {
    const col = `${c.name}_history`;
    if (!cols.has(col)) continue;
    const L = historyLengthOf(cfg, c);
    const q = quoteIdent(col);
    const exprs = Array.from({ length: L }, (_, i) => `avg(CASE WHEN ${q}[${i + 1}] IS NULL THEN 1.0 ELSE 0.0 END) AS p${i}`);
    const r = await queryOne(
      conn,
      `SELECT count(*) AS n, ${exprs.join(", ")} FROM (SELECT ${q} FROM ${quoteIdent(cfg.tables.summary)}${sample})`,
    );
    out.push({
      column: col,
      historyLength: L,
      sampleRows: Number(r?.n ?? 0),
      density: Array.from({ length: L }, (_, i) => Math.round(Number(r?.[`p${i}`] ?? 0) * 10000) / 10000),
    });
  }
  return out;
}
