// The record index of an engine database written before it held each record's payload (mapped
// values, scalars, delete flag, and `rx`: its month has a summary row) is filled in once, from the
// rows that hold those values: the summary for the live index, and each run's own saved rows for
// the index rows its undo data keeps. A rolling column added to the config later gets its index
// column the same way (from the summary's element 0 where the summary has that column).
import type { DuckDBConnection } from "@duckdb/node-api";
import { execute, queryRows, quoteIdent } from "../engine/duckdb";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import { STATE_SCHEMA, stateTable, tableColumns, tableExists } from "../state/store";
import type { Targets } from "../targets";
import { undoTableName } from "../undo";
import { indexValueColumn } from "./tables";

/**
 * Adds and fills the payload columns `records` (schema, bare name) lacks, from the summary-shaped
 * table `rows` (qualified; it may lack rolling or scalar columns). Returns whether it changed anything.
 */
async function upgradeIndexTable(
  conn: DuckDBConnection,
  layout: Layout,
  records: { schema: string; name: string },
  rows: { schema: string; name: string } | null,
): Promise<boolean> {
  const have = new Set((await tableColumns(conn, records.schema, records.name)).map((c) => c.name));
  const missing = layout.rolling.filter((r) => !have.has(`v_${r.name}`));
  const oldFormat = !have.has("rx");
  if (missing.length === 0 && !oldFormat) return false;
  const table = `${quoteIdent(records.schema)}.${quoteIdent(records.name)}`;
  for (const r of missing) await execute(conn, `ALTER TABLE ${table} ADD COLUMN ${indexValueColumn(r)} ${r.sqlType}`);
  if (oldFormat) await execute(conn, `ALTER TABLE ${table} ADD COLUMN rx BOOLEAN`);
  const rowCols = rows ? new Set((await tableColumns(conn, rows.schema, rows.name)).map((c) => c.name)) : new Set<string>();
  const sets: string[] = [];
  // a tombstone's values stay NULL (element 0 of its soft-deleted row is NULL too)
  for (const r of missing) if (rowCols.has(r.column)) sets.push(`${indexValueColumn(r)} = s.${quoteIdent(r.column)}[1]`);
  if (oldFormat) {
    sets.push("rx = TRUE");
    // the old index kept a live record's scalars and flag nowhere but in its row
    layout.scalars.forEach((sc, i) => {
      if (rowCols.has(sc.name)) sets.push(`s${i} = s.${quoteIdent(sc.name)}`);
    });
    if (layout.deleteFlag && rowCols.has(layout.deleteFlag.column)) sets.push(`dflag = s.${quoteIdent(layout.deleteFlag.column)}`);
  }
  if (rows && sets.length > 0) {
    const sMi = monthIndexSql(layout.monthKind, `s.${quoteIdent(layout.monthColumn)}`);
    await execute(
      conn,
      `UPDATE ${table} SET ${sets.join(", ")}
       FROM ${quoteIdent(rows.schema)}.${quoteIdent(rows.name)} s
       WHERE s.${quoteIdent(layout.accountColumn)} = ${table}.acct AND ${sMi} = ${table}.mi`,
    );
  }
  if (oldFormat) await execute(conn, `UPDATE ${table} SET rx = FALSE WHERE rx IS NULL`);
  return true;
}

/**
 * Brings the live record index (and the index rows kept as undo data by earlier runs) to the
 * current format, before anything reads the index: a run does it in a transaction of its own
 * before it classifies (a pure format change, kept if the run then fails), a dry run and a
 * rollback inside their own transaction.
 */
export async function upgradeRecordIndex(conn: DuckDBConnection, layout: Layout, targets: Targets, summaryName: string): Promise<void> {
  if (!(await tableExists(conn, STATE_SCHEMA, targets.names.records))) return;
  const summary = (await tableExists(conn, "main", summaryName)) ? { schema: "main", name: summaryName } : null;
  const changed = await upgradeIndexTable(conn, layout, { schema: STATE_SCHEMA, name: targets.names.records }, summary);
  if (!changed || !(await tableExists(conn, STATE_SCHEMA, "undo_runs"))) return;
  // undo data: the index rows a run replaced, next to the summary rows of the ranges it rewrote
  // (which hold every row those index rows had)
  const runs = await queryRows(conn, `SELECT run_id FROM ${stateTable("undo_runs")} WHERE NOT expired`);
  for (const r of runs) {
    const name = undoTableName(String(r.run_id), "records");
    if (!(await tableExists(conn, STATE_SCHEMA, name))) continue;
    const saved = undoTableName(String(r.run_id), "summary");
    await upgradeIndexTable(conn, layout, { schema: STATE_SCHEMA, name }, (await tableExists(conn, STATE_SCHEMA, saved)) ? { schema: STATE_SCHEMA, name: saved } : null);
  }
}
