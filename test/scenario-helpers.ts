// Small, named scenarios over the CSV-file harness: records written by month text ('2024-03') and
// whole-second timestamps, the batches actually ingested kept for the reference, and direct SQL
// reads for what the reference's row shape does not carry (column types, month values, quarantine).
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { parseConfig } from "../src/pipeline/config/load";
import { openEngine, queryRows, type Row } from "../src/pipeline/engine/duckdb";
import { emptyCounts, type CaseCounts, type RunOptions, type RunResult } from "../src/pipeline/api";
import type { MonthKind } from "../src/pipeline/sql/months";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefConfig, type RefRecord, type RefRow } from "./reference";

/** Month index of 'YYYY-MM' (year * 12 + month - 1), as the reference counts months. */
export function mi(ym: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(ym);
  if (!m) throw new Error(`not a YYYY-MM month: ${ym}`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

/** 'YYYY-MM' of a month index. */
export function ym(index: number): string {
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** A live source record; `ts` is base_ts in seconds after 2020-01-01 00:00:00 UTC. */
export function rec(acct: string, month: string, ts: number, fields: Partial<Omit<RefRecord, "acct" | "mi" | "ts">> = {}): RefRecord {
  return { acct, mi: mi(month), ts, stat: "11", typ: "A", balance: 100, rating: "0", limit: 1000, ...fields };
}

/** A tombstone (soft delete) of (acct, month). */
export function tomb(acct: string, month: string, ts: number, stat: "DA" | "DF" = "DA"): RefRecord {
  return { acct, mi: mi(month), ts, stat, typ: "A", balance: null, rating: null, limit: null };
}

/** `n` consecutive months starting at `first`, one record each; balance = 10 × (k + 1). */
export function months(acct: string, first: string, n: number, ts: number): RefRecord[] {
  return Array.from({ length: n }, (_, k) => rec(acct, ym(mi(first) + k), ts, { balance: 10 * (k + 1), rating: String(k % 10) }));
}

/** The counts of a result that a scenario asserts exactly; all other counts are zero unless given. */
export function counts(expected: Partial<CaseCounts>): CaseCounts {
  return { ...emptyCounts(), ...expected };
}

export interface ScenarioOptions {
  monthKind?: MonthKind;
  accountKind?: "BIGINT" | "VARCHAR";
  /** History lengths of balance, rating, credit_limit (default: the harness's 4, 6, 3). */
  lengths?: RefConfig["lengths"];
  name?: string;
}

/**
 * A workspace with the batches it ingested. `ingest` writes one CSV file and runs; a batch counts for
 * the reference once a non-dry run over it succeeded.
 */
export class Scenario {
  readonly batches: RefRecord[][] = [];
  private constructor(
    readonly ws: Workspace,
    readonly ref: RefConfig,
  ) {}

  static create(opts: ScenarioOptions = {}): Scenario {
    const ws = makeWorkspace({ monthKind: opts.monthKind, accountKind: opts.accountKind, name: opts.name ?? "scn" });
    const lengths = opts.lengths ?? REF_CONFIG.lengths;
    const byName: Record<string, number> = { balance: lengths.balance, rating: lengths.rating, credit_limit: lengths.limit };
    // same config as the harness, with the rolling columns' own history lengths replaced
    ws.config = parseConfig({
      ...ws.config,
      rolling_columns: ws.config.rolling_columns.map((c) => ({ ...c, history_length: byName[c.name] ?? c.history_length })),
    });
    return new Scenario(ws, { ...REF_CONFIG, lengths });
  }

  /** Writes the records as the next batch file and runs the pipeline over what is new. */
  async ingest(records: RefRecord[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
    writeBatch(this.ws, records);
    return this.runOnly(extra, records);
  }

  /** Runs without writing a file; `records` are what the run is expected to ingest. */
  async runOnly(extra: Partial<RunOptions> = {}, records: RefRecord[] = []): Promise<RunResult> {
    const result = await run(this.ws, extra);
    if (result.status === "succeeded" && !extra.dryRun && records.length > 0) this.batches.push(records);
    return result;
  }

  expected(): { summary: RefRow[]; latest: RefRow[] } {
    return referenceTables(this.batches, this.ref);
  }

  async tables(): Promise<{ summary: RefRow[]; latest: RefRow[] }> {
    const t = await readTables(this.ws);
    return { summary: sortRows(t.summary), latest: sortRows(t.latest) };
  }

  /** The summary row of (acct, month), or undefined. */
  async row(acct: string, month: string): Promise<RefRow | undefined> {
    return (await this.tables()).summary.find((r) => r.acct === acct && r.mi === mi(month));
  }

  async latestOf(acct: string): Promise<RefRow | undefined> {
    return (await this.tables()).latest.find((r) => r.acct === acct);
  }

  async sql(query: string): Promise<Row[]> {
    return withConnection(this.ws.database, (conn) => queryRows(conn, query));
  }

  async count(query: string): Promise<number> {
    const rows = await this.sql(query);
    return Number(rows[0]?.n ?? Number.NaN);
  }

  async dispose(): Promise<void> {
    await disposeWorkspace(this.ws);
  }
}

/** Runs fn on a fresh connection of the (shared) engine instance of a database file. */
export async function withConnection<T>(database: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const engine = await openEngine({ database });
  const conn = await engine.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** Writes a CSV file of raw text cells as the workspace's next batch (for input the records cannot express). */
export function writeRawCsv(ws: Workspace, header: string[], rows: (string | null)[][]): string {
  const cell = (v: string | null) => (v === null ? "" : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  ws.batches++;
  const file = path.join(ws.inbox, `batch_${String(ws.batches).padStart(5, "0")}.csv`);
  fs.writeFileSync(file, [header.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n") + "\n");
  return file;
}

export const CSV_HEADER = [
  "cons_acct_key",
  "rpt_as_of_mo",
  "base_ts",
  "acct_stat_cd",
  "acct_type_cd",
  "balance_am",
  "payment_rating_cd",
  "credit_limit_am",
];

/** base_ts text of the harness for `ts` seconds after 2020-01-01. */
export function tsText(seconds: number): string {
  return new Date(Date.UTC(2020, 0, 1) + seconds * 1000).toISOString().replace("T", " ").replace(".000Z", "");
}
