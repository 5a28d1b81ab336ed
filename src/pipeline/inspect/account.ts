// One account's history for the inspector: its summary rows (newest first), its latest row, and
// for each month the record that is in force (the run and case that wrote it, its base_ts and
// whether it is a tombstone) — so each cell of a rolling array can say where it came from.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "../config/schema";
import { historyLengthOf } from "../config/schema";
import { queryRows, quoteIdent } from "../engine/duckdb";
import { PipelineError } from "../errors";
import { SEQ_RUN_SHIFT } from "../plan/classify";
import { accountKindOfType, formatMonthIndex, monthIndexSql, monthKindOfType } from "../sql/months";
import { stateTable, tableColumns, tableExists } from "../state/store";

export type CellValue = string | number | boolean | null;

export interface InspectedRow {
  month: string;
  /** Month index: year · 12 + month − 1. */
  mi: number;
  baseTs: string | null;
  live: boolean;
  scalars: Record<string, CellValue>;
  deleteFlag: CellValue;
  /** Rolling column name → values, element 0 = this month. */
  arrays: Record<string, CellValue[]>;
  grids: Record<string, string>;
}

export interface MonthProvenance {
  month: string;
  mi: number;
  runId: string | null;
  kase: string;
  baseTs: string;
  tombstone: boolean;
}

export interface AccountHistory {
  account: string;
  found: boolean;
  rolling: { name: string; column: string; historyLength: number; dataType: string }[];
  grids: { name: string; rollingColumn: string }[];
  rows: InspectedRow[];
  latest: InspectedRow | null;
  provenance: MonthProvenance[];
}

export async function inspectAccount(conn: DuckDBConnection, cfg: PipelineConfig, account: string): Promise<AccountHistory> {
  const key = account.trim();
  if (key.length === 0 || key.length > 200) {
    throw new PipelineError("USAGE", "give an account key of 1 to 200 characters", { where: "account" });
  }
  const rolling = cfg.rolling_columns.map((c) => ({
    name: c.name,
    column: `${c.name}_history`,
    historyLength: historyLengthOf(cfg, c),
    dataType: c.data_type,
  }));
  const grids = cfg.grid_columns.map((g) => ({ name: g.name, rollingColumn: g.rolling_column }));
  const empty: AccountHistory = { account: key, found: false, rolling, grids, rows: [], latest: null, provenance: [] };
  if (!(await tableExists(conn, "main", cfg.tables.summary))) return empty;
  const cols = await tableColumns(conn, "main", cfg.tables.summary);
  const acctCol = cols.find((c) => c.name === cfg.keys.account);
  const monthCol = cols.find((c) => c.name === cfg.keys.month);
  if (!acctCol || !monthCol) return empty;
  const accountKind = accountKindOfType(acctCol.type);
  const monthKind = cfg.keys.month_type ?? monthKindOfType(monthCol.type);
  if (!accountKind || !monthKind) return empty;
  if (accountKind === "BIGINT" && !/^-?\d{1,18}$/.test(key)) {
    throw new PipelineError("USAGE", `account keys are integers here; "${key.slice(0, 40)}" is not one`, { where: "account" });
  }
  const a = quoteIdent(cfg.keys.account);
  const mi = monthIndexSql(monthKind, quoteIdent(cfg.keys.month));
  const present = new Set(cols.map((c) => c.name));
  const scalarNames = cfg.columns.map((c) => c.name).filter((n) => present.has(n));
  const flag = cfg.keys.delete_flag && present.has(cfg.keys.delete_flag) ? cfg.keys.delete_flag : null;
  const select = [
    `${mi} AS __mi`,
    `CAST(base_ts AS VARCHAR) AS __base_ts`,
    ...scalarNames.map((n, i) => `${quoteIdent(n)} AS __s${i}`),
    flag ? `${quoteIdent(flag)} AS __flag` : `NULL AS __flag`,
    ...rolling.filter((r) => present.has(r.column)).map((r, i) => `${quoteIdent(r.column)} AS __r${i}`),
    ...grids.filter((g) => present.has(g.name)).map((g, i) => `${quoteIdent(g.name)} AS __g${i}`),
  ].join(", ");
  const param = [key];
  const read = async (table: string) =>
    queryRows(conn, `SELECT ${select} FROM ${quoteIdent(table)} WHERE ${a} = CAST($1 AS ${accountKind}) ORDER BY __mi DESC`, param);
  const deleteValues = new Set(cfg.keys.delete_values);
  const toRow = (r: Record<string, unknown>): InspectedRow => {
    const flagValue = (r.__flag ?? null) as CellValue;
    return {
      mi: Number(r.__mi),
      month: formatMonthIndex(Number(r.__mi)),
      baseTs: r.__base_ts === null ? null : String(r.__base_ts),
      live: flagValue === null || !deleteValues.has(String(flagValue)),
      scalars: Object.fromEntries(scalarNames.map((n, i) => [n, (r[`__s${i}`] ?? null) as CellValue])),
      deleteFlag: flagValue,
      arrays: Object.fromEntries(rolling.filter((x) => present.has(x.column)).map((x, i) => [x.name, (r[`__r${i}`] ?? []) as CellValue[]])),
      grids: Object.fromEntries(grids.filter((g) => present.has(g.name)).map((g, i) => [g.name, String(r[`__g${i}`] ?? "")])),
    };
  };
  const rows = (await read(cfg.tables.summary)).map(toRow);
  const latestRows = (await tableExists(conn, "main", cfg.tables.latest_summary)) ? (await read(cfg.tables.latest_summary)).map(toRow) : [];
  let provenance: MonthProvenance[] = [];
  if (await tableExists(conn, "_sp", "records")) {
    const p = await queryRows(
      conn,
      `SELECT r.mi, CAST(r.ts AS VARCHAR) AS ts, r.tomb, r.kase, u.run_id
       FROM ${stateTable("records")} r LEFT JOIN ${stateTable("runs")} u ON u.seq = r.seq // ${SEQ_RUN_SHIFT}
       WHERE r.acct = CAST($1 AS ${accountKind}) ORDER BY r.mi DESC`,
      param,
    );
    provenance = p.map((x) => ({
      mi: Number(x.mi),
      month: formatMonthIndex(Number(x.mi)),
      runId: x.run_id === null ? null : String(x.run_id),
      kase: String(x.kase),
      baseTs: String(x.ts),
      tombstone: Boolean(x.tomb),
    }));
  }
  return { account: key, found: rows.length > 0, rolling, grids, rows, latest: latestRows[0] ?? null, provenance };
}
