// Drives the engine over batches of records written as CSV files, one file a batch, and reads its
// tables back in the reference's shape.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "../src/pipeline/config/load";
import type { PipelineConfig } from "../src/pipeline/config/schema";
import { closeEngine, openEngine, queryRows } from "../src/pipeline/engine/duckdb";
import { runPipeline } from "../src/pipeline/run";
import { formatMonthIndex, monthIndexSql, type MonthKind } from "../src/pipeline/sql/months";
import type { RunOptions, RunResult } from "../src/pipeline/api";
import type { RefConfig, RefRecord, RefRow } from "./reference";

export const REF_CONFIG: RefConfig = {
  deleteValues: ["DA", "DF"],
  lengths: { balance: 4, rating: 6, limit: 3 },
  placeholder: "?",
};

export interface Workspace {
  dir: string;
  inbox: string;
  database: string;
  config: PipelineConfig;
  monthKind: MonthKind;
  batches: number;
}

export function makeWorkspace(opts: { monthKind?: MonthKind; accountKind?: "BIGINT" | "VARCHAR"; name?: string } = {}): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sp-${opts.name ?? "ws"}-`));
  const inbox = path.join(dir, "in");
  fs.mkdirSync(inbox);
  const monthKind = opts.monthKind ?? "date";
  const config = parseConfig({
    engine: { database: path.join(dir, "engine.duckdb"), threads: 1 },
    source: { kind: "files", format: "csv", glob: path.join(inbox, "*.csv") },
    keys: {
      account: "cons_acct_key",
      month: "rpt_as_of_mo",
      timestamp: "base_ts",
      delete_flag: "acct_stat_cd",
      delete_values: REF_CONFIG.deleteValues,
      account_type: opts.accountKind ?? "VARCHAR",
      month_type: monthKind,
    },
    history_length: 5,
    columns: [{ name: "acct_type_cd", source_column: "acct_type_cd" }],
    rolling_columns: [
      { name: "balance", source_column: "balance_am", mapper_expr: "COALESCE(balance_am, 0)", data_type: "Integer", history_length: REF_CONFIG.lengths.balance },
      { name: "rating", source_column: "payment_rating_cd", mapper_expr: "upper(trim(payment_rating_cd))", data_type: "String", history_length: REF_CONFIG.lengths.rating },
      { name: "credit_limit", source_column: "credit_limit_am", mapper_expr: "CASE WHEN credit_limit_am = -1 THEN NULL ELSE credit_limit_am END", data_type: "BigInt", history_length: REF_CONFIG.lengths.limit },
    ],
    grid_columns: [{ name: "rating_grid", rolling_column: "rating", placeholder: REF_CONFIG.placeholder }],
    validation: { max_future_months: 1200 },
    resilience: { retry_count: 0, backoff_base_ms: 0, backoff_max_ms: 0, checkpoint_enabled: true },
  });
  return { dir, inbox, database: path.join(dir, "engine.duckdb"), config, monthKind, batches: 0 };
}

function monthText(kind: MonthKind, mi: number): string {
  const ym = formatMonthIndex(mi);
  if (kind === "date") return `${ym}-${String(1 + (mi % 27)).padStart(2, "0")}`; // any day of the month
  if (kind === "yyyymm") return ym.replace("-", "");
  return ym;
}

function tsText(seconds: number): string {
  return new Date(Date.UTC(2020, 0, 1) + seconds * 1000).toISOString().replace("T", " ").replace(".000Z", "");
}

function csvField(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  // quoted when it has blanks at either end, which a reader could trim away
  return /[",\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Writes one batch as the next CSV file of the workspace (file names sort in batch order). */
export function writeBatch(ws: Workspace, records: RefRecord[], dir = ws.inbox): string {
  const header = "cons_acct_key,rpt_as_of_mo,base_ts,acct_stat_cd,acct_type_cd,balance_am,payment_rating_cd,credit_limit_am";
  const lines = records.map((r) =>
    [r.acct, monthText(ws.monthKind, r.mi), tsText(r.ts), r.stat, r.typ, r.balance, r.rating, r.limit].map(csvField).join(","),
  );
  ws.batches++;
  const file = path.join(dir, `batch_${String(ws.batches).padStart(5, "0")}.csv`);
  fs.writeFileSync(file, [header, ...lines].join("\n") + "\n");
  return file;
}

export async function run(ws: Workspace, extra: Partial<RunOptions> = {}): Promise<RunResult> {
  return runPipeline({ config: ws.config, trigger: "test", ...extra });
}

export async function readTables(ws: Workspace): Promise<{ summary: RefRow[]; latest: RefRow[] }> {
  const engine = await openEngine({ database: ws.database });
  const conn = await engine.connect();
  try {
    const read = async (table: string) => {
      // a rolled-back first run leaves no tables: read as empty
      const exists = await queryRows(conn, `SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = '${table}'`);
      if (exists.length === 0) return [];
      const rows = await queryRows(
        conn,
        `SELECT CAST(cons_acct_key AS VARCHAR) AS acct, ${monthIndexSql(ws.monthKind, "rpt_as_of_mo")} AS mi,
                CAST(epoch(base_ts) AS BIGINT) - ${Date.UTC(2020, 0, 1) / 1000} AS ts, acct_type_cd AS typ, acct_stat_cd AS stat,
                balance_history AS balance, rating_history AS rating, credit_limit_history AS "limit", rating_grid AS grid
         FROM ${table} ORDER BY acct, mi`,
      );
      return rows.map((r) => ({
        acct: String(r.acct),
        mi: Number(r.mi),
        ts: Number(r.ts),
        typ: r.typ === null ? null : String(r.typ),
        stat: r.stat === null ? null : String(r.stat),
        balance: (r.balance as (number | null)[]).map((x) => (x === null ? null : Number(x))),
        rating: (r.rating as (string | null)[]).map((x) => (x === null ? null : String(x))),
        limit: (r.limit as (string | number | null)[]).map((x) => (x === null ? null : Number(x))),
        grid: String(r.grid),
      }));
    };
    return { summary: await read("summary"), latest: await read("latest_summary") };
  } finally {
    conn.closeSync();
  }
}

export async function disposeWorkspace(ws: Workspace): Promise<void> {
  await closeEngine(ws.database);
  fs.rmSync(ws.dir, { recursive: true, force: true });
}
