// `generate`: writes a seeded, reproducible synthetic source into the configured source — a table
// of the engine database (created or replaced) or one file per month next to the source glob — or
// appends the next month to it. All rows are produced by set-based SQL (records.ts).
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "../config/schema";
import { execute, queryOne, quoteIdent, quoteString, type Engine } from "../engine/duckdb";
import { describeError, isPipelineError, PipelineError } from "../errors";
import { activeRunOf, openEngineFor } from "../run";
import { globBaseDirectory } from "../source/input";
import { accountKindOfType, formatMonthIndex, monthIndexOf, monthKindOfType } from "../sql/months";
import { tableColumns, tableExists } from "../state/store";
import { appendCoreSql, BATCH_COLUMN, existingSql, freshCoreSql, MAX_SEED, RATES, recordsSql, type SourceShape } from "./records";

export interface GenerateOptions {
  /** Accounts of a fresh source (ignored with `append`). */
  accounts?: number;
  /** Months of a fresh source; with `append`, how many next months to add (default 1). */
  months?: number;
  seed: number;
  /** First month `YYYY-MM` of a fresh source; by default the months end with the month before `now`. */
  start?: string;
  /** Add the month after the source's newest month instead of replacing the source. */
  append?: boolean;
  now?: Date;
}

export interface GenerateResult {
  /** Records written. */
  rows: number;
  /** Monthly batches written (files, or months of a table). */
  batches: number;
  /** Where the records went: `table "accounts_all"`, or the folder of the batch files. */
  target: string;
  /** First and last month written, `YYYY-MM`. */
  firstMonth: string;
  lastMonth: string;
  /** Accounts of a fresh source; accounts opened by an append. */
  accounts: number;
  /** Files written (file sources). */
  files: string[];
}

const MAX_ACCOUNTS = 100_000_000;
const MAX_MONTHS = 600;
const GEN_TABLE = "__sp_gen";
const EXISTING_TABLE = "__sp_gen_existing";

export async function generateSource(cfg: PipelineConfig, opts: GenerateOptions): Promise<GenerateResult> {
  const seed = integerOption("seed", opts.seed, 0, MAX_SEED);
  const now = opts.now ?? new Date();
  if (opts.append && opts.start !== undefined) {
    throw new PipelineError("USAGE", "--start cannot be combined with --append (an append continues after the newest month)");
  }
  let fresh: { accounts: number; first: number; last: number } | null = null;
  if (!opts.append) {
    const accounts = integerOption("accounts", opts.accounts, 1, MAX_ACCOUNTS);
    const months = integerOption("months", opts.months, 1, MAX_MONTHS);
    const first = opts.start !== undefined ? parseStart(opts.start) : monthIndexOfDate(now) - months;
    const last = first + months - 1;
    checkNotFuture(cfg, now, last);
    fresh = { accounts, first, last };
  }
  const appendMonths = opts.append ? integerOption("months", opts.months ?? 1, 1, MAX_MONTHS) : 0;
  const engine = await openEngineForGenerate(cfg);
  const holder = activeRunOf(engine.database);
  if (holder) {
    throw new PipelineError("LOCKED", `engine database ${cfg.engine.database} is held by run ${holder}, which is still running`, {
      where: cfg.engine.database,
    });
  }
  const conn = await engine.connect();
  try {
    const ctx: Context = { cfg, conn, seed, now };
    if (!fresh) return await appendToSource(ctx, appendMonths);
    const { accounts, first, last } = fresh;
    return cfg.source.kind === "table"
      ? await freshTable(ctx, cfg.source.name, accounts, first, last)
      : await freshFiles(ctx, cfg.source.glob, cfg.source.format, accounts, first, last);
  } catch (err) {
    if (isPipelineError(err)) throw err;
    throw new PipelineError("ENGINE", `cannot generate the source: ${describeError(err)}`, { cause: err });
  } finally {
    await execute(conn, `DROP TABLE IF EXISTS ${GEN_TABLE}`).catch(() => undefined);
    await execute(conn, `DROP TABLE IF EXISTS ${EXISTING_TABLE}`).catch(() => undefined);
    conn.closeSync();
  }
}

interface Context {
  cfg: PipelineConfig;
  conn: DuckDBConnection;
  seed: number;
  now: Date;
}

async function openEngineForGenerate(cfg: PipelineConfig): Promise<Engine> {
  try {
    return await openEngineFor(cfg);
  } catch (err) {
    const msg = describeError(err);
    if (/lock/i.test(msg)) {
      throw new PipelineError("LOCKED", `engine database ${cfg.engine.database} is held by another process: ${msg}`, {
        where: cfg.engine.database,
        cause: err,
      });
    }
    throw new PipelineError("ENGINE", `cannot open engine database ${cfg.engine.database}: ${msg}`, { where: cfg.engine.database, cause: err });
  }
}

function integerOption(name: string, value: number | undefined, min: number, max: number): number {
  if (value === undefined) throw new PipelineError("USAGE", `--${name} is required`, { where: name });
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new PipelineError("USAGE", `--${name} must be an integer between ${min} and ${max}, got ${value}`, { where: name });
  }
  return value;
}

function parseStart(start: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(start);
  const month = Number(m?.[2]);
  if (!m || month < 1 || month > 12) throw new PipelineError("USAGE", `--start must be a month YYYY-MM, got "${start}"`, { where: "start" });
  return monthIndexOf(Number(m[1]), month);
}

function monthIndexOfDate(d: Date): number {
  return monthIndexOf(d.getUTCFullYear(), d.getUTCMonth() + 1);
}

/** The engine quarantines months beyond the future tolerance; generating them would be pointless. */
function checkNotFuture(cfg: PipelineConfig, now: Date, last: number): void {
  const limit = monthIndexOfDate(now) + cfg.validation.max_future_months;
  if (last > limit) {
    throw new PipelineError(
      "USAGE",
      `months up to ${formatMonthIndex(last)} would lie beyond the future tolerance (validation.max_future_months = ${cfg.validation.max_future_months}; latest allowed ${formatMonthIndex(limit)})`,
      { where: "start" },
    );
  }
}

function shapeOf(cfg: PipelineConfig, kinds?: Partial<Pick<SourceShape, "accountKind" | "monthKind">>): SourceShape {
  const deleteValues = cfg.keys.delete_flag && cfg.keys.delete_values.length > 0 ? cfg.keys.delete_values : ["DA", "DF"];
  return {
    account: cfg.keys.account,
    accountKind: kinds?.accountKind ?? cfg.keys.account_type ?? "BIGINT",
    month: cfg.keys.month,
    monthKind: kinds?.monthKind ?? cfg.keys.month_type ?? "date",
    timestamp: cfg.keys.timestamp ?? "base_ts",
    deleteFlag: cfg.keys.delete_flag ?? "acct_stat_cd",
    deleteValues,
  };
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await queryOne(conn, sql))?.n ?? 0);
}

async function freshTable(ctx: Context, table: string, accounts: number, first: number, last: number): Promise<GenerateResult> {
  const shape = shapeOf(ctx.cfg);
  const records = recordsSql(shape, ctx.seed, freshCoreSql({ seed: ctx.seed, accountKind: shape.accountKind, accounts, first, last }), {
    lo: first,
    hi: last,
  });
  await execute(ctx.conn, `CREATE OR REPLACE TABLE ${quoteIdent(table)} AS SELECT * EXCLUDE (${BATCH_COLUMN}) FROM (${records})`);
  return {
    rows: await count(ctx.conn, `SELECT count(*) AS n FROM ${quoteIdent(table)}`),
    batches: last - first + 1,
    target: `table "${table}"`,
    firstMonth: formatMonthIndex(first),
    lastMonth: formatMonthIndex(last),
    accounts,
    files: [],
  };
}

async function freshFiles(
  ctx: Context,
  glob: string,
  format: "csv" | "parquet",
  accounts: number,
  first: number,
  last: number,
): Promise<GenerateResult> {
  const dir = batchDirectory(glob, format);
  const shape = shapeOf(ctx.cfg);
  const records = recordsSql(shape, ctx.seed, freshCoreSql({ seed: ctx.seed, accountKind: shape.accountKind, accounts, first, last }), {
    lo: first,
    hi: last,
  });
  await execute(ctx.conn, `CREATE OR REPLACE TEMP TABLE ${GEN_TABLE} AS ${records}`);
  fs.mkdirSync(dir, { recursive: true });
  // a fresh source replaces the batches of an earlier one (only files named like ours)
  for (const f of fs.readdirSync(dir)) if (parseBatchFileName(f, format) !== null) fs.rmSync(path.join(dir, f));
  const written = await writeBatchFiles(ctx.conn, shape, dir, format, first, last);
  return {
    rows: written.rows,
    batches: written.files.length,
    target: dir,
    firstMonth: formatMonthIndex(first),
    lastMonth: formatMonthIndex(last),
    accounts,
    files: written.files,
  };
}

/** Writes one file per batch of the generated temp table; each appears atomically (rename). */
async function writeBatchFiles(
  conn: DuckDBConnection,
  shape: SourceShape,
  dir: string,
  format: "csv" | "parquet",
  first: number,
  last: number,
): Promise<{ rows: number; files: string[] }> {
  const files: string[] = [];
  let rows = 0;
  const options = format === "csv" ? "(FORMAT csv, HEADER true, DELIMITER ',')" : "(FORMAT parquet, COMPRESSION zstd)";
  for (let b = first; b <= last; b++) {
    const n = await count(conn, `SELECT count(*) AS n FROM ${GEN_TABLE} WHERE ${BATCH_COLUMN} = ${b}`);
    if (n === 0) continue;
    const name = batchFileName(b, format);
    const file = path.join(dir, name);
    const tmp = path.join(dir, `.${name}.tmp`);
    const order = [shape.account, shape.month, shape.timestamp].map(quoteIdent).join(", ");
    await execute(
      conn,
      `COPY (SELECT * EXCLUDE (${BATCH_COLUMN}) FROM ${GEN_TABLE} WHERE ${BATCH_COLUMN} = ${b} ORDER BY ${order}) TO ${quoteString(tmp)} ${options}`,
    );
    fs.renameSync(tmp, file);
    files.push(file);
    rows += n;
  }
  return { rows, files };
}

export function batchFileName(monthIndex: number, format: "csv" | "parquet"): string {
  return `batch_${formatMonthIndex(monthIndex).replace("-", "_")}.${format}`;
}

function parseBatchFileName(name: string, format: "csv" | "parquet"): number | null {
  const m = /^batch_(\d{4})_(\d{2})\.(csv|parquet)$/.exec(name);
  if (!m || m[3] !== format) return null;
  return monthIndexOf(Number(m[1]), Number(m[2]));
}

/** The folder batch files go to: the glob's base folder, provided the glob matches their names. */
function batchDirectory(glob: string, format: "csv" | "parquet"): string {
  const dir = globBaseDirectory(glob);
  const pattern = path.relative(dir, path.resolve(glob)).split(path.sep).join("/");
  const sample = batchFileName(monthIndexOf(2024, 1), format);
  if (!globToRegExp(pattern).test(sample)) {
    throw new PipelineError("CONFIG_INVALID", `source.glob does not match the generated file names (${sample} in ${dir})`, {
      where: "source.glob",
      issues: [{ path: "source.glob", message: `"${glob}" does not match generated files named like ${sample} in ${dir}` }],
    });
  }
  return dir;
}

/** A glob (`*`, `**`, `?`, `[…]`, `{a,b}`) as a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) {
        re += "\\[";
      } else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      const end = glob.indexOf("}", i + 1);
      if (end === -1) {
        re += "\\{";
      } else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(",")
          .map((alt) => globToRegExp(alt).source.slice(1, -1))
          .join("|")})`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/** Appends `months` months, one batch each, after the newest month of the source. */
async function appendToSource(ctx: Context, months: number): Promise<GenerateResult> {
  const { cfg, conn } = ctx;
  let shape: SourceShape;
  let relation: string;
  let target: string;
  let dir = "";
  if (cfg.source.kind === "table") {
    const table = cfg.source.name;
    if (!(await tableExists(conn, "main", table))) {
      throw new PipelineError("USAGE", `nothing to append to: source table "${table}" does not exist; generate it first (without --append)`, {
        where: "source.name",
      });
    }
    const cols = await tableColumns(conn, "main", table);
    const typeOf = (name: string) => cols.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type;
    const accountType = typeOf(cfg.keys.account);
    const monthType = typeOf(cfg.keys.month);
    shape = shapeOf(cfg, {
      accountKind: (accountType && accountKindOfType(accountType)) || undefined,
      monthKind: cfg.keys.month_type ?? ((monthType && monthKindOfType(monthType)) || undefined),
    });
    relation = quoteIdent(table);
    target = `table "${table}"`;
  } else {
    const { glob, format } = cfg.source;
    dir = batchDirectory(glob, format);
    shape = shapeOf(cfg);
    const existing = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => parseBatchFileName(f, format) !== null) : [];
    if (existing.length === 0) {
      throw new PipelineError("USAGE", `nothing to append to: no batch files in ${dir}; generate them first (without --append)`, {
        where: "source.glob",
      });
    }
    const abs = quoteString(path.resolve(glob));
    const text = `types = {${quoteString(shape.account)}: 'VARCHAR', ${quoteString(shape.month)}: 'VARCHAR'}`;
    relation =
      format === "csv"
        ? `read_csv(${abs}, union_by_name = true, header = true, ${text})`
        : `read_parquet(${abs}, union_by_name = true)`;
    target = dir;
  }
  await execute(conn, `CREATE OR REPLACE TEMP TABLE ${EXISTING_TABLE} AS ${existingSql(shape, relation)}`);
  const stats = await queryOne(
    conn,
    `SELECT max(mi) AS mi, max(n) AS n, CAST(max(ts) AS VARCHAR) AS ts FROM ${EXISTING_TABLE}`,
  );
  if (stats?.mi === null || stats?.mi === undefined) {
    throw new PipelineError("USAGE", `nothing to append to: the source (${target}) holds no generated records`, { where: "source" });
  }
  const first = Number(stats.mi) + 1;
  checkNotFuture(cfg, ctx.now, first + months - 1);
  let maxAccount = Number(stats.n);
  let maxTs = stats.ts === null ? null : String(stats.ts);
  let rows = 0;
  let opened = 0;
  const files: string[] = [];
  for (let month = first; month < first + months; month++) {
    const live = await count(
      conn,
      `SELECT count(*) AS n FROM (SELECT n FROM ${EXISTING_TABLE} GROUP BY n HAVING max(mi) >= ${month - 3})`,
    );
    const newAccounts = Math.max(1, Math.round(live * RATES.newAccountsPerMonth));
    const core = appendCoreSql({
      seed: ctx.seed,
      accountKind: shape.accountKind,
      existing: EXISTING_TABLE,
      month,
      maxAccount,
      newAccounts,
      maxTs,
      withStale: cfg.source.kind === "files",
    });
    await execute(conn, `CREATE OR REPLACE TEMP TABLE ${GEN_TABLE} AS ${recordsSql(shape, ctx.seed, core, { lo: month - 3, hi: month })}`);
    if (cfg.source.kind === "table") {
      await execute(conn, `INSERT INTO ${relation} BY NAME SELECT * EXCLUDE (${BATCH_COLUMN}) FROM ${GEN_TABLE}`);
      rows += await count(conn, `SELECT count(*) AS n FROM ${GEN_TABLE}`);
    } else {
      const format = cfg.source.format;
      if (fs.existsSync(path.join(dir, batchFileName(month, format)))) {
        throw new PipelineError("USAGE", `batch file ${batchFileName(month, format)} already exists in ${dir}`, { where: "source.glob" });
      }
      const w = await writeBatchFiles(conn, shape, dir, format, month, month);
      rows += w.rows;
      files.push(...w.files);
    }
    // the next appended month continues from this one
    await execute(conn, `INSERT INTO ${EXISTING_TABLE} ${existingSql(shape, GEN_TABLE)}`);
    const s = await queryOne(conn, `SELECT max(n) AS n, CAST(max(ts) AS VARCHAR) AS ts FROM ${EXISTING_TABLE}`);
    maxAccount = Number(s?.n ?? maxAccount);
    maxTs = s?.ts === null || s?.ts === undefined ? maxTs : String(s.ts);
    opened += newAccounts;
  }
  return {
    rows,
    batches: months,
    target,
    firstMonth: formatMonthIndex(first),
    lastMonth: formatMonthIndex(first + months - 1),
    accounts: opened,
    files,
  };
}
