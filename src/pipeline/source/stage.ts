// Staging: reads a run's input once into the engine, parses keys, months and timestamps, evaluates
// the checked expressions, and sends records that fail validation to quarantine with their reason
// (SPEC §9). Valid records keep their input position, which breaks equal-timestamp ties.
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { CheckedConfigExpressions } from "../config/expr";
import { decimalScale, sqlType, type PipelineConfig } from "../config/schema";
import { execute, queryOne, queryRows, quoteIdent, quoteString, type Row } from "../engine/duckdb";
import { PipelineError } from "../errors";
import type { Layout } from "../layout";
import { accountKindOfType, monthIndexOf, monthKindOfType, parseMonthSql, type AccountKind, type MonthKind } from "../sql/months";
import { tableColumns } from "../state/store";
import { untimedRowsSql, type RunInput } from "./input";

export const FILE_COLUMN = "__sp_file";

export interface SourceColumn {
  name: string;
  type: string;
}

/**
 * Reads the input into a temporary table of the connection; returns its source columns. Each file
 * is looked at on its own first: the files are read together by column name, so a file without a
 * key or source column would read as NULLs in it (a column only an expression reads may be
 * missing from some files: NULL there, as in `COALESCE(new_col, old_col)` over older files), and
 * DuckDB's sniffer reads a CSV file whose lines differ in width wrongly (see sourceFileColumns).
 */
export async function loadRawInput(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  input: RunInput,
  rawTable: string,
): Promise<SourceColumn[]> {
  const raw = quoteIdent(rawTable);
  if (input.kind === "files") {
    for (const f of input.files) {
      const columns = await sourceFileColumns(conn, f.path, input.format, f.size);
      checkRequiredColumns(cfg, columns.map((name) => ({ name, type: "" })), f.path);
    }
  }
  let relation: string;
  if (input.kind === "table") {
    const ts = quoteIdent(cfg.keys.timestamp ?? "base_ts");
    const tsExpr = `TRY_CAST(${ts} AS TIMESTAMP)`;
    const lower = input.fromTs === null ? "TRUE" : `${tsExpr} > CAST(${quoteString(input.fromTs)} AS TIMESTAMP)`;
    const upper =
      input.toTs === null
        ? "FALSE"
        : `${tsExpr} <= CAST(${quoteString(input.toTs)} AS TIMESTAMP)` + (input.fromTs === null ? ` OR ${tsExpr} IS NULL` : "");
    relation = `SELECT * FROM ${quoteIdent(input.table)} t WHERE (${lower} AND (${upper}))${input.untimed ? ` OR (${untimedRowsSql(cfg, input.table)})` : ""}`;
  } else {
    if (input.files.length === 0) {
      relation = "";
    } else {
      const list = `[${input.files.map((f) => quoteString(f.path)).join(", ")}]`;
      // CSV type sniffing must not turn text keys, codes and flags into numbers
      const text = new Set<string>([cfg.keys.account]);
      if (cfg.keys.delete_flag) text.add(cfg.keys.delete_flag);
      for (const c of cfg.rolling_columns) if (c.data_type === "String") text.add(c.source_column);
      const types = [...text].map((c) => `${quoteString(c)}: 'VARCHAR'`).join(", ");
      relation =
        input.format === "csv"
          ? `SELECT * FROM read_csv(${list}, union_by_name = true, header = true, filename = ${quoteString(FILE_COLUMN)}, types = {${types}})`
          : `SELECT * FROM read_parquet(${list}, union_by_name = true, filename = ${quoteString(FILE_COLUMN)})`;
    }
  }
  if (relation === "") {
    await execute(conn, `CREATE OR REPLACE TEMP TABLE ${raw} AS SELECT NULL::VARCHAR AS ${quoteIdent(FILE_COLUMN)} WHERE FALSE`);
  } else {
    try {
      await execute(conn, `CREATE OR REPLACE TEMP TABLE ${raw} AS ${relation}`);
    } catch (err) {
      const where = input.kind === "table" ? `table ${input.table}` : input.files.map((f) => path.basename(f.path)).join(", ");
      throw new PipelineError("SOURCE", `cannot read the source (${where}): ${firstLine(err)}`, { where, cause: err, retryable: false });
    }
  }
  if (input.kind === "files" && input.format === "csv") {
    await execute(conn, `ALTER TABLE ${raw} ADD COLUMN ${quoteIdent(PRE_REASON)} VARCHAR`);
    await execute(conn, `ALTER TABLE ${raw} ADD COLUMN ${quoteIdent(PRE_ORIGINAL)} VARCHAR`);
  }
  return sourceColumnsOf(conn, rawTable);
}

/** A character no CSV line holds, as the delimiter that reads a file's lines whole. */
const UNIT_SEPARATOR = String.fromCharCode(31);

/** One source file's column names; a file that cannot be read as its format fails, named. */
async function sourceFileColumns(conn: DuckDBConnection, file: string, format: "csv" | "parquet", size: number): Promise<string[]> {
  const fail = (what: string, cause?: unknown) => new PipelineError("SOURCE", `source file ${file} ${what}`, { where: file, cause, retryable: false });
  if (format === "parquet") {
    try {
      const rows = await queryRows(conn, `DESCRIBE SELECT * FROM read_parquet(${quoteString(file)})`);
      return rows.map((r) => String(r.column_name));
    } catch (err) {
      throw fail(`cannot be read as Parquet: ${firstLine(err)}`, err);
    }
  }
  if (size === 0) throw fail("is empty: a CSV source file starts with its header row");
  const q = quoteString(file);
  let sniffed: Row | undefined;
  try {
    sniffed = await queryOne(conn, `SELECT "SkipRows" AS skip, to_json(list_transform("Columns", lambda c: c.name)) AS cols FROM sniff_csv(${q}, header = true)`);
  } catch (err) {
    throw fail(`cannot be read as CSV: ${firstLine(err)}`, err);
  }
  const skip = Number(sniffed?.skip ?? 0);
  const columns = JSON.parse(String(sniffed?.cols ?? "[]")) as string[];
  // DuckDB's sniffer, given lines of different widths, either reads the whole line as one column
  // or starts from the first line after which the widths agree (the lines before it dropped)
  const ragged = (from: string) =>
    fail(`is not a consistent CSV file: its lines do not all have as many fields as its header${from}`);
  const [only] = columns;
  if (columns.length === 1 && only !== undefined && /[,;\t|]/.test(only)) throw ragged("");
  if (skip > 0) {
    // blank lines and # comments before the header are fine: nothing is dropped
    let preamble = false;
    try {
      const lines = await queryRows(
        conn,
        `SELECT line FROM read_csv(${q}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = ${quoteString(UNIT_SEPARATOR)},
                                   quote = '', escape = '', skip = 0) LIMIT ${skip}`,
      );
      preamble = lines.every((r) => r.line === null || String(r.line).trim() === "" || String(r.line).trimStart().startsWith("#"));
    } catch {
      preamble = false;
    }
    if (!preamble) throw ragged(` (they agree only from line ${skip + 1} on)`);
  }
  return columns;
}

async function sourceColumnsOf(conn: DuckDBConnection, rawTable: string): Promise<SourceColumn[]> {
  const cols = await tableColumns(conn, "temp", rawTable);
  return cols.filter((c) => !INTERNAL_COLUMNS.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
}

export const PRE_REASON = "__sp_pre_reason";
/** A CSV record's original text of the columns whose cast failed, as a JSON object (for its quarantine record). */
const PRE_ORIGINAL = "__sp_pre_original";
const INTERNAL_COLUMNS = new Set([FILE_COLUMN, PRE_REASON, PRE_ORIGINAL]);

/**
 * CSV sniffing types a column from its values: an all-empty column comes back VARCHAR, and one
 * bad value turns a numeric column into text. After the config's expressions are checked (their
 * columns known), the source column of typed rolling columns is cast to their data type (an
 * Integer one to BIGINT, as a clean file's sniffing gives it); a record whose value does not cast
 * is marked for quarantine, not dropped. Rolling columns of several numeric types over one
 * column share the widest (BIGINT, a DECIMAL(38, s) for decimals, else DOUBLE). A column stays
 * text when the config reads it as text (a key, the delete flag, a String rolling column's
 * source), when its rolling columns' types have nothing in common, or when an expression reading
 * it does not bind to or evaluate on the cast type (`length(code)`, `CASE WHEN x = 'N/A' …`).
 */
export async function retypeCsvColumns(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  rawTable: string,
  exprs: CheckedConfigExpressions,
): Promise<void> {
  const raw = quoteIdent(rawTable);
  const cols = await sourceColumnsOf(conn, rawTable);
  const lower = (n: string) => n.toLowerCase();
  const text = new Set([cfg.keys.account, cfg.keys.month, cfg.keys.timestamp, cfg.keys.delete_flag].filter((c): c is string => !!c).map(lower));
  for (const c of cfg.rolling_columns) if (c.data_type === "String") text.add(lower(c.source_column));
  const dataTypes = new Map<string, Set<string>>();
  for (const c of cfg.rolling_columns) {
    if (c.data_type === "String") continue;
    const set = dataTypes.get(lower(c.source_column)) ?? new Set<string>();
    set.add(c.data_type);
    dataTypes.set(lower(c.source_column), set);
  }
  const readers = [...exprs.rolling.values(), ...exprs.scalars.values()];
  type Candidate = { name: string; q: string; type: string; check: string; dataType: string };
  const candidates: Candidate[] = [];
  for (const col of cols) {
    const types = dataTypes.get(lower(col.name));
    const cast = types && castOf([...types]);
    if (col.type !== "VARCHAR" || !cast || text.has(lower(col.name))) continue;
    candidates.push({ name: col.name, q: quoteIdent(col.name), ...cast });
  }
  // the casts are tried together (one expression may read two of the columns), and the
  // expressions reading them evaluated for real over the batch: `balance_am = 'N/A'` binds to a
  // BIGINT column and fails on its first row. A cast that stops them is dropped.
  const works = async (set: Candidate[]): Promise<boolean> => {
    const names = new Set(set.map((c) => lower(c.name)));
    const uses = readers.filter((e) => e.columns.some((c) => names.has(lower(c)))).map((e) => `count(${e.canonical})`);
    if (set.length === 0 || uses.length === 0) return true;
    const replaced = set.map((c) => `TRY_CAST(${c.q} AS ${c.type}) AS ${c.q}`).join(", ");
    try {
      await queryOne(conn, `SELECT ${uses.join(", ")} FROM (SELECT * REPLACE (${replaced}) FROM ${raw})`);
      return true;
    } catch {
      return false;
    }
  };
  let chosen = candidates;
  while (chosen.length > 0 && !(await works(chosen))) {
    let next: Candidate[] | undefined;
    for (const c of chosen) {
      const rest = chosen.filter((x) => x !== c);
      if (await works(rest)) {
        next = rest;
        break;
      }
    }
    chosen = next ?? chosen.slice(1);
  }
  for (const { name, q, type, check, dataType } of chosen) {
    await execute(
      conn,
      `UPDATE ${raw} SET ${quoteIdent(PRE_REASON)} = coalesce(${quoteIdent(PRE_REASON)},
         ${quoteString(`column ${name}: value does not cast to ${dataType}: `)} || left(${q}, 100)),
         ${quoteIdent(PRE_ORIGINAL)} = json_merge_patch(coalesce(${quoteIdent(PRE_ORIGINAL)}, '{}'), json_object(${quoteString(name)}, ${q}))
       WHERE ${q} IS NOT NULL AND TRY_CAST(${q} AS ${check}) IS NULL`,
    );
    await execute(conn, `ALTER TABLE ${raw} ALTER ${q} SET DATA TYPE ${type} USING TRY_CAST(${q} AS ${type})`);
  }
}

/**
 * The type a CSV text column takes for the data types of the rolling columns over it: `type` to
 * hold it, `check` that a value must cast to (else quarantined), `dataType` named in the reason.
 */
function castOf(dataTypes: string[]): { type: string; check: string; dataType: string } | null {
  const [only] = dataTypes;
  if (dataTypes.length === 1 && only) return { type: only === "Integer" ? "BIGINT" : sqlType(only), check: sqlType(only), dataType: only };
  const integer = (t: string) => t === "Integer" || t === "BigInt";
  const decimal = (t: string) => decimalScale(t) !== undefined;
  if (dataTypes.every(integer)) return { type: "BIGINT", check: "BIGINT", dataType: "BigInt" };
  // decimals (and integers) keep exact digits in the widest decimal of their largest scale
  if (dataTypes.every((t) => integer(t) || decimal(t))) {
    const type = `DECIMAL(38, ${Math.max(...dataTypes.map((t) => decimalScale(t) ?? 0))})`;
    return { type, check: type, dataType: "Decimal" };
  }
  if (dataTypes.every((t) => integer(t) || decimal(t) || t === "Double")) return { type: "DOUBLE", check: "DOUBLE", dataType: "Double" };
  return null;
}

/** Checks that the columns the config needs exist in the source; names each missing one. */
export function checkRequiredColumns(cfg: PipelineConfig, columns: SourceColumn[], where: string): void {
  const have = new Set(columns.map((c) => c.name.toLowerCase()));
  const missing: { path: string; message: string }[] = [];
  const need = (name: string | null | undefined, p: string) => {
    if (name && !have.has(name.toLowerCase())) missing.push({ path: p, message: `column "${name}" is not in the source (${where})` });
  };
  need(cfg.keys.account, "keys.account");
  need(cfg.keys.month, "keys.month");
  need(cfg.keys.timestamp, "keys.timestamp");
  need(cfg.keys.delete_flag, "keys.delete_flag");
  cfg.rolling_columns.forEach((c, i) => need(c.source_column, `rolling_columns[${i}].source_column`));
  cfg.columns.forEach((c, i) => need(c.source_column, `columns[${i}].source_column`));
  if (missing.length > 0) {
    throw new PipelineError("SOURCE", `the source lacks ${missing.length} required column(s)`, { where, issues: missing });
  }
}

/**
 * Key and month kinds: the config's when given, else the existing summary's, else read off the
 * source (for text keys and months, by looking at the values).
 */
export async function resolveKinds(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  rawTable: string,
  columns: SourceColumn[],
  existing: { accountKind: AccountKind; monthKind: MonthKind } | null,
  opts: { keysReadAsText: boolean },
): Promise<{ accountKind: AccountKind; monthKind: MonthKind }> {
  const typeOf = (name: string) => columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type ?? "VARCHAR";
  let accountKind: AccountKind | null = cfg.keys.account_type ?? existing?.accountKind ?? null;
  let monthKind: MonthKind | null = cfg.keys.month_type ?? existing?.monthKind ?? null;
  const raw = quoteIdent(rawTable);
  if (!accountKind) {
    const t = typeOf(cfg.keys.account);
    accountKind = accountKindOfType(t);
    if (accountKind === "VARCHAR" && opts.keysReadAsText) {
      // a CSV file has no types (its keys are read as text): keys that all look like plain integers
      // (without leading zeros) are integer keys. A typed source (a table, Parquet) keeps its type:
      // a VARCHAR column of keys that look like integers today may hold 'X9' or '010' tomorrow.
      const col = quoteIdent(cfg.keys.account);
      const r = await queryOne(
        conn,
        `SELECT count(*) FILTER (WHERE ${col} IS NOT NULL) AS n,
                count(*) FILTER (WHERE regexp_full_match(${col}, '-?[1-9][0-9]{0,17}|0')) AS ints FROM ${raw}`,
      );
      if (Number(r?.n ?? 0) > 0 && Number(r?.n) === Number(r?.ints)) accountKind = "BIGINT";
    }
    if (!accountKind) {
      throw new PipelineError("SOURCE", `account key column "${cfg.keys.account}" has type ${t}; BIGINT or VARCHAR is needed`, {
        where: "keys.account",
      });
    }
  }
  if (!monthKind) {
    const t = typeOf(cfg.keys.month);
    monthKind = monthKindOfType(t);
    if (monthKind === "yyyy-mm") {
      const col = quoteIdent(cfg.keys.month);
      const r = await queryOne(
        conn,
        `SELECT count(*) FILTER (WHERE regexp_full_match(${col}, '\\d{4}-\\d{2}')) AS ym,
                count(*) FILTER (WHERE TRY_CAST(${col} AS DATE) IS NOT NULL) AS d FROM ${raw}`,
      );
      if (Number(r?.d ?? 0) > Number(r?.ym ?? 0)) monthKind = "date";
    }
    if (!monthKind) {
      throw new PipelineError("SOURCE", `month column "${cfg.keys.month}" has type ${t}; DATE, INTEGER YYYYMM or VARCHAR 'YYYY-MM' is needed`, {
        where: "keys.month",
      });
    }
  }
  return { accountKind, monthKind };
}

export interface StageCounts {
  read: number;
  quarantined: number;
}

/**
 * Builds the stage table, a temporary table of the connection: one row per input record with its
 * position, parsed key, month index, timestamp, tombstone flag, mapped rolling values (v0..),
 * scalar values (s0..), delete flag value and, for invalid records, the reason. Run it outside the
 * run's transaction (it writes nothing durable): a table created inside a transaction is read back
 * at about half speed by the statements after it. `collectQuarantine` then gathers the invalid
 * records' quarantine rows, which the transaction copies to quarantine.
 */
export async function buildStage(
  conn: DuckDBConnection,
  p: {
    cfg: PipelineConfig;
    layout: Layout;
    rawTable: string;
    stageTable: string;
    ingestTs: string;
    now: Date;
    hasFileColumn: boolean;
    /** The raw table carries pre-computed quarantine reasons (CSV retyping). */
    hasPreReason: boolean;
    /** The raw account column is text (its keys are parsed into the layout's kind). */
    accountIsText: boolean;
    /**
     * The types the existing tables hold the scalars (by index) and the delete flag in: the batch's
     * values are cast to them (a CSV file's sniffed types change from file to file), and one that
     * does not cast is quarantined.
     */
    fixedTypes?: { scalars: (string | null)[]; dflag: string | null };
    sourceName: string;
  },
): Promise<void> {
  const { cfg, layout } = p;
  const raw = quoteIdent(p.rawTable);
  const acct = quoteIdent(cfg.keys.account);
  const month = quoteIdent(cfg.keys.month);
  const acctType = layout.accountKind;
  const textToInt = acctType === "BIGINT" && p.accountIsText;
  const scalarTypes = p.fixedTypes?.scalars ?? [];
  const dflagType = p.fixedTypes?.dflag ?? null;
  const nowMi = monthIndexOf(p.now.getUTCFullYear(), p.now.getUTCMonth() + 1);
  const maxMi = nowMi + cfg.validation.max_future_months;
  const tsExpr = layout.timestampColumn
    ? `TRY_CAST(${quoteIdent(layout.timestampColumn)} AS TIMESTAMP)`
    : `CAST(${quoteString(p.ingestTs)} AS TIMESTAMP)`;
  const tombExpr = layout.deleteFlag
    ? `coalesce(CAST(${quoteIdent(layout.deleteFlag.column)} AS VARCHAR) IN (${layout.deleteFlag.values.map(quoteString).join(", ")}), FALSE)`
    : "FALSE";
  const dflagExpr = layout.deleteFlag ? quoteIdent(layout.deleteFlag.column) : "NULL";
  const inner = [
    // rows of a table created in an open transaction get row ids from a large base: count from 0
    `rowid - (SELECT min(rowid) FROM ${raw}) AS __sp_pos`,
    p.hasFileColumn ? `${quoteIdent(FILE_COLUMN)} AS __sp_file` : `CAST(NULL AS VARCHAR) AS __sp_file`,
    // text keys into BIGINT keys: plain integers only, or '010' would become account 10
    textToInt
      ? `CASE WHEN regexp_full_match(trim(${acct}), '-?(0|[1-9][0-9]*)') THEN TRY_CAST(${acct} AS BIGINT) END AS __sp_acct`
      : `TRY_CAST(${acct} AS ${acctType}) AS __sp_acct`,
    textToInt ? `TRY_CAST(${acct} AS BIGINT) IS NOT NULL AS __sp_acct_int` : `FALSE AS __sp_acct_int`,
    `${acct} IS NULL AS __sp_acct_null`,
    `${parseMonthSql(layout.monthKind, month)} AS __sp_mi`,
    `${month} IS NULL AS __sp_month_null`,
    `${tsExpr} AS __sp_ts`,
    layout.timestampColumn ? `${quoteIdent(layout.timestampColumn)} IS NULL AS __sp_ts_null` : `FALSE AS __sp_ts_null`,
    `${tombExpr} AS __sp_tomb`,
    `${dflagExpr} AS __sp_dflag`,
    p.hasPreReason ? `${quoteIdent(PRE_REASON)} AS __sp_pre` : `NULL AS __sp_pre`,
    ...layout.rolling.map((r, i) => `(${r.expr}) AS __sp_rawv${i}`),
    ...layout.scalars.map((s, i) => `(${s.expr}) AS __sp_s${i}`),
  ];
  const reasons = [
    ...(p.hasPreReason ? [`WHEN __sp_pre IS NOT NULL THEN __sp_pre`] : []),
    `WHEN __sp_acct IS NULL AND __sp_acct_null THEN 'null account key'`,
    `WHEN __sp_acct IS NULL AND __sp_acct_int THEN 'account key is not a plain integer (leading zeros or a sign?), as the summary''s BIGINT keys need; set keys.account_type to VARCHAR for text keys'`,
    `WHEN __sp_acct IS NULL THEN 'unparsable account key'`,
    `WHEN __sp_mi IS NULL AND __sp_month_null THEN 'null month'`,
    `WHEN __sp_mi IS NULL THEN 'unparsable month'`,
    `WHEN __sp_mi > ${maxMi} THEN 'month beyond the future tolerance (${cfg.validation.max_future_months} month(s) after the current month)'`,
    `WHEN __sp_ts IS NULL AND __sp_ts_null THEN 'null timestamp'`,
    `WHEN __sp_ts IS NULL THEN 'unparsable timestamp'`,
    ...layout.rolling.map(
      (r, i) =>
        `WHEN __sp_rawv${i} IS NOT NULL AND TRY_CAST(__sp_rawv${i} AS ${r.sqlType}) IS NULL THEN ${quoteString(
          `rolling_columns[${i}] (${r.name}): value does not cast to ${r.dataType}: `,
        )} || left(CAST(__sp_rawv${i} AS VARCHAR), 100)`,
    ),
    ...layout.scalars.flatMap((sc, i) => {
      const t = scalarTypes[i];
      return t
        ? [
            `WHEN __sp_s${i} IS NOT NULL AND TRY_CAST(__sp_s${i} AS ${t}) IS NULL THEN ${quoteString(
              `columns[${i}] (${sc.name}): value does not cast to ${t}, the type of the summary's column: `,
            )} || left(CAST(__sp_s${i} AS VARCHAR), 100)`,
          ]
        : [];
    }),
    ...(dflagType && layout.deleteFlag
      ? [
          `WHEN __sp_dflag IS NOT NULL AND TRY_CAST(__sp_dflag AS ${dflagType}) IS NULL THEN ${quoteString(
            `keys.delete_flag (${layout.deleteFlag.column}): value does not cast to ${dflagType}, the type of the summary's column: `,
          )} || left(CAST(__sp_dflag AS VARCHAR), 100)`,
        ]
      : []),
  ];
  const outer = [
    `__sp_pos AS pos`,
    `__sp_file AS file`,
    `__sp_acct AS acct`,
    `CAST(__sp_mi AS INTEGER) AS mi`,
    `__sp_ts AS ts`,
    `__sp_tomb AS tomb`,
    dflagType ? `TRY_CAST(__sp_dflag AS ${dflagType}) AS dflag` : `__sp_dflag AS dflag`,
    ...layout.rolling.map((r, i) => `TRY_CAST(__sp_rawv${i} AS ${r.sqlType}) AS v${i}`),
    ...layout.scalars.map((_, i) => (scalarTypes[i] ? `TRY_CAST(__sp_s${i} AS ${scalarTypes[i]}) AS s${i}` : `__sp_s${i} AS s${i}`)),
    `CASE ${reasons.join(" ")} END AS reason`,
  ];
  try {
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE ${p.stageTable} AS SELECT ${outer.join(", ")} FROM (SELECT ${inner.join(", ")} FROM ${raw})`,
    );
  } catch (err) {
    throw await expressionError(conn, cfg, layout, raw, p.sourceName, err);
  }
}

/**
 * The error of a stage that failed: the configured expression that fails on the source, by its field
 * path. One that cannot bind to the source's columns (a function over a column of another type) is a
 * config error, which no retry or resume fixes; one that fails on a value is the source's.
 */
async function expressionError(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  layout: Layout,
  raw: string,
  sourceName: string,
  err: unknown,
): Promise<PipelineError> {
  const fields = [
    ...layout.rolling.map((r, i) => ({ expr: r.expr, path: `rolling_columns[${i}].${cfg.rolling_columns[i]?.mapper_expr ? "mapper_expr" : "source_column"}` })),
    ...layout.scalars.map((sc, i) => ({ expr: sc.expr, path: `columns[${i}].${cfg.columns[i]?.expr ? "expr" : "source_column"}` })),
  ];
  for (const f of fields) {
    try {
      await queryOne(conn, `SELECT count(${f.expr}) AS n FROM ${raw}`);
    } catch (e) {
      const message = firstLine(e);
      const binding = /^Binder Error/i.test(message);
      return new PipelineError(
        binding ? "CONFIG_INVALID" : "SOURCE",
        binding
          ? `a configured expression does not fit the source's columns (${sourceName})`
          : `a configured expression fails on a value of the source (${sourceName})`,
        { where: f.path, issues: [{ path: f.path, message }], cause: e, retryable: false },
      );
    }
  }
  return new PipelineError("SOURCE", `cannot evaluate the configured columns on the source: ${firstLine(err)}`, { where: sourceName, cause: err });
}

export interface QuarantineInput {
  rawTable: string;
  stageTable: string;
  /** The temporary table the quarantine rows are collected in. */
  rowsTable: string;
  runId: string;
  now: Date;
  hasFileColumn: boolean;
  hasPreReason: boolean;
  sourceName: string;
}

/**
 * Collects the quarantine rows of the stage's invalid records (with the raw record they came from)
 * into a temporary table, so the raw input can be dropped before classification; the prepare
 * transaction copies them to quarantine with `insertQuarantine`.
 */
export async function collectQuarantine(conn: DuckDBConnection, p: QuarantineInput): Promise<void> {
  const raw = quoteIdent(p.rawTable);
  const internal = [
    ...(p.hasFileColumn ? [quoteIdent(FILE_COLUMN)] : []),
    ...(p.hasPreReason ? [quoteIdent(PRE_REASON)] : []),
  ];
  // the source's columns by name (to_json of the joined row carried the row id it was joined by)
  const sourceCols = (await tableColumns(conn, "temp", p.rawTable)).filter((c) => !INTERNAL_COLUMNS.has(c.name));
  const packed = sourceCols.length ? `to_json(struct_pack(${sourceCols.map((c) => `${quoteIdent(c.name)} := r.${quoteIdent(c.name)}`).join(", ")}))` : "NULL";
  // a CSV value that did not cast is kept as its text (the cast column holds NULL for it)
  const record = p.hasPreReason
    ? `CASE WHEN r.${quoteIdent(PRE_ORIGINAL)} IS NULL THEN ${packed} ELSE json_merge_patch(${packed}, r.${quoteIdent(PRE_ORIGINAL)}) END`
    : packed;
  await execute(
    conn,
    // the position is counted within the file the record came from (0-based), as an operator reads it;
    // the stored record holds the source columns only
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(p.rowsTable)} AS
     SELECT ${quoteString(p.runId)} AS run_id, CAST(${quoteString(p.now.toISOString())} AS TIMESTAMP) AS quarantined_at,
            coalesce(s.file, ${quoteString(p.sourceName)}) AS source, s.pos - f.p0 AS position, s.reason, CAST(${record} AS VARCHAR) AS record
     FROM ${p.stageTable} s
     JOIN (SELECT file, min(pos) AS p0 FROM ${p.stageTable} GROUP BY file) f ON f.file IS NOT DISTINCT FROM s.file
     JOIN (SELECT rowid - (SELECT min(rowid) FROM ${raw}) AS __sp_rid, * ${internal.length ? `EXCLUDE (${internal.join(", ")})` : ""} FROM ${raw}) r
       ON r.__sp_rid = s.pos
     WHERE s.reason IS NOT NULL`,
  );
}

/** Copies the collected quarantine rows (`collectQuarantine`) to the quarantine table. */
export async function insertQuarantine(conn: DuckDBConnection, quarantineTable: string, rowsTable: string): Promise<void> {
  await execute(conn, `INSERT INTO ${quoteIdent(quarantineTable)} SELECT * FROM ${quoteIdent(rowsTable)}`);
}

/** Records the stage holds, and how many of them are invalid (quarantined). */
export async function stageCounts(conn: DuckDBConnection, stageTable: string): Promise<StageCounts> {
  const c = await queryOne(conn, `SELECT count(*) AS n, count(reason) AS q FROM ${stageTable}`);
  return { read: Number(c?.n ?? 0), quarantined: Number(c?.q ?? 0) };
}

export async function ensureQuarantineTable(conn: DuckDBConnection, name: string): Promise<void> {
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${quoteIdent(name)} (
      run_id VARCHAR NOT NULL,
      quarantined_at TIMESTAMP NOT NULL,
      source VARCHAR,
      position BIGINT,
      reason VARCHAR NOT NULL,
      record VARCHAR
    )`,
  );
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
