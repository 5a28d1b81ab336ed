// DuckDB access for the engine: one instance per database file per process (a globalThis
// registry, so Next's separate bundles share it), hardened at open, with BigInt-safe reads.
import path from "node:path";
import fs from "node:fs";
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";

export interface EngineOptions {
  /** Database file, or ":memory:". */
  database: string;
  threads?: number | null;
  memoryLimit?: string | null;
  /** Directories the engine may read or write besides its own database (sources, exports). */
  allowedDirectories?: string[];
}

export interface Engine {
  readonly database: string;
  readonly instance: DuckDBInstance;
  readonly allowedDirectories: readonly string[];
  /** A new connection on the shared instance (each connection has its own transaction). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

interface Registry {
  engines: Map<string, Promise<Engine>>;
}

const registryKey = Symbol.for("summary-pipeline.duckdb-registry");
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[registryKey];
  if (!r) {
    r = { engines: new Map() };
    g[registryKey] = r;
  }
  return r;
}

function canonicalDatabase(database: string): string {
  return database === ":memory:" ? database : path.resolve(database);
}

/**
 * Opens (or returns the already open) engine for a database file. Extensions are never
 * installed or loaded on demand, external access is limited to the database's own folder and
 * the given directories, and the configuration is locked so SQL cannot loosen it.
 */
export function openEngine(options: EngineOptions): Promise<Engine> {
  const key = canonicalDatabase(options.database);
  const reg = registry();
  const existing = reg.engines.get(key);
  if (existing) return existing;
  const opening = createEngine(key, options);
  reg.engines.set(key, opening);
  opening.catch(() => reg.engines.delete(key));
  return opening;
}

/** Closes and forgets the engine of a database file (tests, or a config change of allowed paths). */
export async function closeEngine(database: string): Promise<void> {
  const key = canonicalDatabase(database);
  const reg = registry();
  const e = reg.engines.get(key);
  if (!e) return;
  reg.engines.delete(key);
  try {
    (await e).close();
  } catch {
    // an engine that failed to open has nothing to close
  }
}

async function createEngine(database: string, options: EngineOptions): Promise<Engine> {
  const dirs = new Set<string>();
  if (database !== ":memory:") {
    const dir = path.dirname(database);
    fs.mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  for (const d of options.allowedDirectories ?? []) dirs.add(path.resolve(d));
  const config: Record<string, string> = {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  };
  if (options.threads) config.threads = String(options.threads);
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  const instance = await DuckDBInstance.create(database, config);
  const setup = await instance.connect();
  try {
    const list = [...dirs].map((d) => quoteString(d.endsWith(path.sep) ? d : d + path.sep)).join(", ");
    await setup.run(`SET allowed_directories = [${list}]`);
    await setup.run("SET enable_external_access = false");
    await setup.run("SET lock_configuration = true");
  } finally {
    setup.closeSync();
  }
  return {
    database,
    instance,
    allowedDirectories: [...dirs],
    connect: () => instance.connect(),
    close: () => instance.closeSync(),
  };
}

/** A SQL identifier, always quoted; embedded quotes doubled; NUL rejected. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes("\u0000")) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal; embedded quotes doubled; NUL rejected. */
export function quoteString(value: string): string {
  if (value.includes("\u0000")) throw new Error("string literal contains NUL");
  return `'${value.replaceAll("'", "''")}'`;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Row = Record<string, JsonValue>;

/** Converts engine values to JSON-safe ones: BIGINT to number when exact, else string. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toJsonValue(v);
    return out;
  }
  return String(value);
}

type Params = DuckDBValue[] | Record<string, DuckDBValue>;

// SP_TRACE_SQL=1 logs each statement's duration with its first 160 characters; =full, the whole statement
const traceSql = process.env.SP_TRACE_SQL === "1" || process.env.SP_TRACE_SQL === "full";
const traceText = (sql: string) => (process.env.SP_TRACE_SQL === "full" ? sql : sql.replace(/\s+/g, " ").slice(0, 160));

/**
 * Runs a query and returns its rows as JSON values (use for small results only): BIGINT and
 * HUGEINT come back as strings, dates and timestamps as ISO-like strings.
 */
export async function queryRows(conn: DuckDBConnection, sql: string, params?: Params): Promise<Row[]> {
  const t0 = traceSql ? performance.now() : 0;
  const reader = await conn.runAndReadAll(sql, params);
  if (traceSql) console.error(`[sql ${Math.round(performance.now() - t0)} ms] ${traceText(sql)}`);
  return reader.getRowObjectsJson() as Row[];
}

export async function queryOne(conn: DuckDBConnection, sql: string, params?: Params): Promise<Row | undefined> {
  return (await queryRows(conn, sql, params))[0];
}

export async function execute(conn: DuckDBConnection, sql: string, params?: Params): Promise<void> {
  if (!traceSql) {
    await conn.run(sql, params);
    return;
  }
  const t0 = performance.now();
  await conn.run(sql, params);
  console.error(`[sql ${Math.round(performance.now() - t0)} ms] ${traceText(sql)}`);
}

/** Runs fn inside one engine transaction; rolls back on any error. */
export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const result = await fn();
    await execute(conn, "COMMIT");
    return result;
  } catch (err) {
    try {
      await conn.run("ROLLBACK");
    } catch {
      // the transaction may already be aborted; the original error is what matters
    }
    throw err;
  }
}

export async function duckdbVersion(conn: DuckDBConnection): Promise<string> {
  const row = await queryOne(conn, "SELECT version() AS v");
  return String(row?.v ?? "unknown");
}
