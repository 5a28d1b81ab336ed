// Creation of the summary-side tables with the columns SPEC §2 defines, in a fixed order:
// account, month, base_ts, scalar columns, the delete flag, rolling histories, grids.
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, quoteIdent } from "../engine/duckdb";
import { monthIndexSql, monthValueSql } from "../sql/months";
import type { Layout } from "../layout";
import type { Targets } from "../targets";

export interface ColumnTypes {
  scalars: string[];
  dflag: string;
}

export function summaryColumnDefs(layout: Layout, types: ColumnTypes): string[] {
  const defs = [
    `${quoteIdent(layout.accountColumn)} ${layout.accountKind}`,
    `${quoteIdent(layout.monthColumn)} ${layout.monthType}`,
    `base_ts TIMESTAMP`,
    ...layout.scalars.map((s, i) => `${quoteIdent(s.name)} ${types.scalars[i] ?? "VARCHAR"}`),
  ];
  if (layout.deleteFlag && !layout.deleteFlag.isScalar) defs.push(`${quoteIdent(layout.deleteFlag.column)} ${types.dflag}`);
  defs.push(...layout.rolling.map((r) => `${quoteIdent(r.column)} ${r.sqlType}[]`));
  defs.push(...layout.grids.map((g) => `${quoteIdent(g.name)} VARCHAR`));
  return defs;
}

/** Names of the summary columns, quoted, in table order. */
export function summaryColumnNames(layout: Layout): string[] {
  const names = [layout.accountColumn, layout.monthColumn, "base_ts", ...layout.scalars.map((s) => s.name)];
  if (layout.deleteFlag && !layout.deleteFlag.isScalar) names.push(layout.deleteFlag.column);
  names.push(...layout.rolling.map((r) => r.column), ...layout.grids.map((g) => g.name));
  return names.map(quoteIdent);
}

export async function ensureTargetTables(conn: DuckDBConnection, targets: Targets, layout: Layout, types: ColumnTypes): Promise<void> {
  const defs = summaryColumnDefs(layout, types).join(",\n  ");
  await execute(conn, `CREATE TABLE IF NOT EXISTS ${targets.summary} (\n  ${defs}\n)`);
  await execute(conn, `CREATE TABLE IF NOT EXISTS ${targets.latest} (\n  ${defs}\n)`);
  // the record index holds V with each record's payload (mapped values, scalars, delete flag) and
  // whether its month has a row, so rows can be rebuilt from it without reading the summary
  const payload = [
    ...layout.scalars.map((_, i) => `s${i} ${types.scalars[i] ?? "VARCHAR"}`),
    `dflag ${types.dflag}`,
    ...layout.rolling.map((r) => `${indexValueColumn(r)} ${r.sqlType}`),
  ].join(", ");
  await execute(
    conn,
    `CREATE TABLE IF NOT EXISTS ${targets.records} (acct ${layout.accountKind} NOT NULL, mi INTEGER NOT NULL, ts TIMESTAMP NOT NULL, seq BIGINT NOT NULL, tomb BOOLEAN NOT NULL, kase VARCHAR NOT NULL, ${payload}, rx BOOLEAN)`,
  );
  await execute(conn, `CREATE TABLE IF NOT EXISTS ${targets.tail} (acct ${layout.accountKind} NOT NULL)`);
}

/** The record index's column holding a rolling column's mapped value (NULL for a tombstone). */
export function indexValueColumn(r: { name: string }): string {
  return quoteIdent(`v_${r.name}`);
}

/**
 * The record-index row of a work row, column by column: its key, version, case, payload (a
 * tombstone's values NULL) and `rx`, whether its month has a summary row.
 */
function recordIndexFields(layout: Layout): Array<{ column: string; expr: string }> {
  const same = (c: string) => ({ column: c, expr: c });
  return [
    ...["acct", "mi", "ts", "seq", "tomb", "kase"].map(same),
    ...layout.scalars.map((_, i) => same(`s${i}`)),
    same("dflag"),
    ...layout.rolling.map((r, i) => ({ column: indexValueColumn(r), expr: `CASE WHEN tomb THEN NULL ELSE v${i} END` })),
    { column: "rx", expr: "row_exists" },
  ];
}

/**
 * Inserts the record-index rows of the work rows `from` (a relation or subquery) into `into`: the
 * record index, or the full path's copy of its rows in reach.
 */
export async function insertRecordIndex(conn: DuckDBConnection, layout: Layout, into: string, from: string): Promise<void> {
  const fields = recordIndexFields(layout);
  await execute(
    conn,
    `INSERT INTO ${into} (${fields.map((f) => f.column).join(", ")}) SELECT ${fields.map((f) => f.expr).join(", ")} FROM ${from}`,
  );
}

/**
 * Record-index rows of `table` (the record index, or a copy of some of its rows) as the relation
 * the row builders read (acct, mi, ts, tomb, v{i}, s{i}, dflag, row_exists), for the accounts
 * `where` selects (a condition on `r`).
 */
export function indexRowsSql(layout: Layout, table: string, where: string): string {
  const cols = [
    "r.acct",
    "r.mi",
    "r.ts",
    "r.tomb",
    ...layout.rolling.map((ro, i) => `r.${indexValueColumn(ro)} AS v${i}`),
    ...layout.scalars.map((_, i) => `r.s${i}`),
    "r.dflag",
    "r.rx AS row_exists",
  ];
  return `SELECT ${cols.join(", ")} FROM ${table} r WHERE ${where}`;
}

/**
 * The grid character of one value: its first character, the placeholder for NULL and for an empty
 * string (which has no first character: without it the grid lost a month and every later one shifted).
 */
export function gridChar(valueExpr: string, placeholder: string): string {
  return `coalesce(nullif(left(CAST(${valueExpr} AS VARCHAR), 1), ''), '${placeholder.replaceAll("'", "''")}')`;
}

/** The grid string of a rolling array: one character a month, the placeholder for NULL. */
export function gridSql(arrayExpr: string, placeholder: string): string {
  return `array_to_string(list_transform(${arrayExpr}, lambda x: ${gridChar("x", placeholder)}), '')`;
}

/** SQL: is a row with delete-flag value `flagExpr` live (the flag not a delete value)? */
export function liveFlagSql(layout: Layout, flagExpr: string): string {
  if (!layout.deleteFlag) return "TRUE";
  const values = layout.deleteFlag.values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");
  return `NOT coalesce(CAST(${flagExpr} AS VARCHAR) IN (${values}), FALSE)`;
}

/** SQL: is the summary row live (its delete flag not a delete value)? */
export function liveRowSql(layout: Layout, alias: string): string {
  if (!layout.deleteFlag) return "TRUE";
  return liveFlagSql(layout, `${alias}.${quoteIdent(layout.deleteFlag.column)}`);
}

/**
 * The summary columns (in table order) of a computed row relation `src` with acct, mi, s{i} and
 * dflag, given its base_ts and array/grid expressions.
 */
export function rowSelect(layout: Layout, src: string, baseTs: string, arrays: string[]): string {
  const cols = [
    `${src}.acct`,
    monthValueSql(layout.monthKind, `${src}.mi`, layout.monthType),
    baseTs,
    ...layout.scalars.map((_, i) => `${src}.s${i}`),
  ];
  if (layout.deleteFlag && !layout.deleteFlag.isScalar) cols.push(`${src}.dflag`);
  cols.push(...arrays);
  return cols.join(", ");
}

/**
 * Recomputes the trailing-tombstone set for the accounts in `accounts` (a relation with `acct`):
 * those whose record index reaches past their newest live month cannot take the fast path.
 * `records` holds their record-index rows: the index, or a copy of those accounts' rows.
 */
export async function refreshTail(
  conn: DuckDBConnection,
  layout: Layout,
  targets: Targets,
  accounts: string,
  records: string = targets.records,
): Promise<void> {
  const acctCol = quoteIdent(layout.accountColumn);
  const lMi = monthIndexSql(layout.monthKind, `l.${quoteIdent(layout.monthColumn)}`);
  await execute(conn, `DELETE FROM ${targets.tail} WHERE acct IN (SELECT acct FROM ${accounts})`);
  await execute(
    conn,
    `INSERT INTO ${targets.tail}
     SELECT r.acct FROM ${records} r
     LEFT JOIN (SELECT l.${acctCol} AS acct, ${lMi} AS lmi FROM ${targets.latest} l
                WHERE l.${acctCol} IN (SELECT acct FROM ${accounts})) l ON l.acct = r.acct
     WHERE r.acct IN (SELECT acct FROM ${accounts})
     GROUP BY r.acct, l.lmi HAVING max(r.mi) > coalesce(l.lmi, -1)`,
  );
}
