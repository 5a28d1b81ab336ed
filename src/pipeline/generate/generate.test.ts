// The synthetic source: reproducible per seed, realistic in its features (gaps, late arrivals,
// corrections, stale re-sends, soft deletes), written into every kind of source, and the engine
// builds from it exactly the summary rows the records imply.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/load";
import type { PipelineConfig } from "../config/schema";
import { closeEngine, queryOne, quoteIdent } from "../engine/duckdb";
import { isPipelineError } from "../errors";
import { openEngineFor, runPipeline } from "../run";
import { formatMonthIndex, monthIndexOf, parseMonthSql, type MonthKind } from "../sql/months";
import { generateSource, globToRegExp } from "./generate";

const DEFAULT_CONFIG = JSON.parse(fs.readFileSync(path.resolve("config/pipeline_config.json"), "utf8")) as Record<string, unknown>;
const dirs: string[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const db of databases) await closeEngine(db);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type SourceSpec = { kind: "table" } | { kind: "files"; format: "csv" | "parquet" };

function workspace(
  source: SourceSpec,
  keys: { month_type?: MonthKind; account_type?: "BIGINT" | "VARCHAR" } = {},
  tableName = "accounts_all",
): PipelineConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-gen-"));
  dirs.push(dir);
  const database = path.join(dir, "engine.duckdb");
  databases.push(database);
  return parseConfig({
    ...DEFAULT_CONFIG,
    engine: { database, threads: 1, memory_limit: "1GB" },
    source:
      source.kind === "table"
        ? { kind: "table", name: tableName }
        : { kind: "files", format: source.format, glob: path.join(dir, "incoming", `*.${source.format}`) },
    keys: { ...(DEFAULT_CONFIG.keys as object), month_type: keys.month_type ?? null, account_type: keys.account_type ?? null },
  });
}

/** The source as the engine sees it, with the month as an index. */
function sourceRelation(cfg: PipelineConfig, monthKind: MonthKind): string {
  const rel =
    cfg.source.kind === "table"
      ? quoteIdent(cfg.source.name)
      : cfg.source.format === "csv"
        ? `read_csv('${path.resolve(cfg.source.glob)}', union_by_name = true, header = true, filename = true, types = {'cons_acct_key': 'VARCHAR', 'acct_stat_cd': 'VARCHAR', 'rpt_as_of_mo': 'VARCHAR', 'acct_type_cd': 'VARCHAR', 'payment_rating_cd': 'VARCHAR'})`
        : `read_parquet('${path.resolve(cfg.source.glob)}', union_by_name = true, filename = true)`;
  return `(SELECT *, CAST(cons_acct_key AS VARCHAR) AS acct, ${parseMonthSql(monthKind, "rpt_as_of_mo")} AS mi FROM ${rel})`;
}

async function withConnection<T>(cfg: PipelineConfig, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const engine = await openEngineFor(cfg);
  const conn = await engine.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

const n = (v: unknown) => Number(v ?? 0);

/** What the records imply (SPEC §3): summary rows, latest rows, soft-deleted rows. */
async function expectedCounts(conn: DuckDBConnection, src: string) {
  const r = await queryOne(
    conn,
    `WITH v AS (SELECT acct, mi, arg_max(acct_stat_cd, base_ts) AS st, bool_or(acct_stat_cd NOT IN ('DA', 'DF')) AS ever_live
                FROM ${src} GROUP BY acct, mi)
     SELECT count(*) FILTER (WHERE ever_live) AS summary,
            count(DISTINCT acct) FILTER (WHERE st NOT IN ('DA', 'DF')) AS latest,
            count(*) FILTER (WHERE ever_live AND st IN ('DA', 'DF')) AS deleted
     FROM v`,
  );
  return { summary: n(r?.summary), latest: n(r?.latest), deleted: n(r?.deleted) };
}

async function engineCounts(conn: DuckDBConnection) {
  const r = await queryOne(
    conn,
    `SELECT (SELECT count(*) FROM summary) AS summary,
            (SELECT count(*) FROM latest_summary) AS latest,
            (SELECT count(*) FROM summary WHERE acct_stat_cd IN ('DA', 'DF')) AS deleted,
            (SELECT count(*) FROM quarantine) AS quarantined`,
  );
  return { summary: n(r?.summary), latest: n(r?.latest), deleted: n(r?.deleted), quarantined: n(r?.quarantined) };
}

function previousMonth(now: Date): number {
  return monthIndexOf(now.getUTCFullYear(), now.getUTCMonth() + 1) - 1;
}

describe("generateSource into a table", () => {
  it("is reproducible for a seed and differs for another seed", async () => {
    const a = workspace({ kind: "table" }, {}, "gen_a");
    const b = parseConfig({ ...a, source: { kind: "table", name: "gen_b" } });
    const c = parseConfig({ ...a, source: { kind: "table", name: "gen_c" } });
    const now = new Date(Date.UTC(2025, 6, 15));
    const ra = await generateSource(a, { accounts: 300, months: 10, seed: 42, now });
    const rb = await generateSource(b, { accounts: 300, months: 10, seed: 42, now });
    const rc = await generateSource(c, { accounts: 300, months: 10, seed: 43, now });
    expect(rb.rows).toBe(ra.rows);
    await withConnection(a, async (conn) => {
      const diff = async (x: string, y: string) =>
        n((await queryOne(conn, `SELECT count(*) AS n FROM (SELECT * FROM ${x} EXCEPT ALL SELECT * FROM ${y})`))?.n);
      expect(await diff("gen_a", "gen_b")).toBe(0);
      expect(await diff("gen_b", "gen_a")).toBe(0);
      expect(await diff("gen_a", "gen_c")).toBeGreaterThan(ra.rows / 2);
    });
    expect(rc.rows).not.toBe(0);
    expect(ra).toMatchObject({ batches: 10, firstMonth: "2024-09", lastMonth: "2025-06", accounts: 300, target: 'table "gen_a"' });
  });

  it("holds gaps, new accounts, late arrivals, corrections, stale re-sends, soft deletes and sentinels", async () => {
    const cfg = workspace({ kind: "table" });
    const accounts = 2000;
    const months = 12;
    const res = await generateSource(cfg, { accounts, months, seed: 7 });
    // roughly 97% of the open account-months, plus a few percent of second records
    expect(res.rows).toBeGreaterThan(accounts * months * 0.85);
    expect(res.rows).toBeLessThan(accounts * months * 1.02);
    await withConnection(cfg, async (conn) => {
      const src = sourceRelation(cfg, "date");
      const f = await queryOne(
        conn,
        `WITH acc AS (SELECT acct, min(mi) AS lo, max(mi) AS hi, count(DISTINCT mi) AS months FROM ${src} GROUP BY acct),
              dup AS (SELECT acct, mi, count(*) AS k, count(DISTINCT balance_am) AS balances FROM ${src} GROUP BY acct, mi HAVING count(*) > 1)
         SELECT
           (SELECT count(*) FROM acc WHERE months < hi - lo + 1) AS accounts_with_gaps,
           (SELECT count(DISTINCT lo) FROM acc) AS opening_months,
           (SELECT min(lo) FROM acc) AS first_month,
           (SELECT max(mi) FROM ${src}) AS last_month,
           (SELECT count(*) FROM dup) AS resent,
           (SELECT count(*) FROM dup WHERE balances > 1) AS resent_with_other_values,
           (SELECT count(*) FROM ${src} WHERE acct_stat_cd IN ('DA', 'DF')) AS tombstones,
           (SELECT count(*) FROM ${src} WHERE acct_stat_cd NOT IN ('DA', 'DF', '11')) AS odd_status,
           (SELECT count(*) FROM ${src} WHERE base_ts >= make_date(mi // 12, mi % 12 + 1, 1) + INTERVAL 2 MONTH) AS late,
           (SELECT count(*) FROM ${src} WHERE base_ts < make_date(mi // 12, mi % 12 + 1, 1) + INTERVAL 1 MONTH) AS early,
           (SELECT count(*) FROM ${src} WHERE credit_limit_am = -1) AS limit_sentinels,
           (SELECT count(*) FROM ${src} WHERE orig_loan_am IS NULL AND high_credit_am IS NOT NULL) AS high_credit_only,
           (SELECT count(*) FROM ${src} WHERE balance_am IS NULL) AS null_balances,
           (SELECT count(*) FROM ${src} WHERE days_past_due NOT IN (0, 30, 60, 90)) AS odd_dpd,
           (SELECT count(*) FROM ${src} WHERE NOT regexp_full_match(payment_rating_cd, '[0-6C]')) AS odd_rating,
           (SELECT count(DISTINCT payment_rating_cd) FROM ${src}) AS ratings,
           (SELECT count(DISTINCT acct_type_cd) FROM ${src}) AS types,
           (SELECT count(*) FROM (SELECT acct FROM ${src} GROUP BY acct HAVING count(DISTINCT balance_am) > 1)) AS drifting`,
      );
      const now = new Date();
      expect(n(f?.last_month)).toBe(previousMonth(now)); // never in the future
      expect(n(f?.first_month)).toBe(previousMonth(now) - months + 1);
      expect(n(f?.accounts_with_gaps)).toBeGreaterThan(accounts * 0.1);
      expect(n(f?.opening_months)).toBeGreaterThan(6);
      expect(n(f?.resent)).toBeGreaterThan(res.rows * 0.01);
      expect(n(f?.resent)).toBeLessThan(res.rows * 0.04);
      expect(n(f?.resent_with_other_values)).toBeGreaterThan(n(f?.resent) / 2);
      expect(n(f?.tombstones)).toBeGreaterThan(0);
      expect(n(f?.tombstones)).toBeLessThan(res.rows * 0.01);
      expect(n(f?.odd_status)).toBe(0);
      expect(n(f?.late)).toBeGreaterThan(0);
      expect(n(f?.early)).toBeGreaterThan(0); // stale re-sends stamped before the month closed
      expect(n(f?.limit_sentinels)).toBeGreaterThan(0);
      expect(n(f?.high_credit_only)).toBeGreaterThan(0);
      expect(n(f?.null_balances)).toBeGreaterThan(0);
      expect(n(f?.odd_dpd)).toBe(0);
      expect(n(f?.odd_rating)).toBe(0);
      expect(n(f?.ratings)).toBeGreaterThanOrEqual(6);
      expect(n(f?.types)).toBeGreaterThan(3);
      expect(n(f?.drifting)).toBeGreaterThan(accounts * 0.9);
    });
  });

  it("appends the next month with forward, new, late and corrected records past the watermark", async () => {
    const cfg = workspace({ kind: "table" }, { month_type: "yyyymm", account_type: "VARCHAR" });
    const first = await generateSource(cfg, { accounts: 400, months: 8, seed: 3 });
    const initial = await runPipeline({ config: cfg, mode: "initial", trigger: "test" });
    expect(initial.status).toBe("succeeded");
    const appended = await generateSource(cfg, { append: true, seed: 3 });
    expect(appended.firstMonth).toBe(formatMonthIndex(previousMonth(new Date()) + 1));
    expect(appended.batches).toBe(1);
    expect(appended.accounts).toBe(4); // ~1% new accounts
    expect(appended.rows).toBeGreaterThan(350);
    const next = await runPipeline({ config: cfg, trigger: "test" });
    expect(next.status).toBe("succeeded");
    expect(next.mode).toBe("incremental");
    expect(next.counts.read).toBe(appended.rows);
    expect(next.counts.forwardRecords).toBeGreaterThan(300);
    expect(next.counts.newAccounts).toBe(4);
    expect(next.counts.backfillRecords).toBeGreaterThan(0);
    expect(next.counts.staleRecords).toBe(0);
    await withConnection(cfg, async (conn) => {
      const total = n((await queryOne(conn, `SELECT count(*) AS n FROM accounts_all`))?.n);
      expect(total).toBe(first.rows + appended.rows);
      const keys = await queryOne(conn, `SELECT min(cons_acct_key) AS lo, max(cons_acct_key) AS hi, typeof(any_value(rpt_as_of_mo)) AS t FROM accounts_all`);
      expect(keys).toMatchObject({ lo: "A000000001", hi: "A000000404", t: "INTEGER" });
      const expected = await expectedCounts(conn, sourceRelation(cfg, "yyyymm"));
      const got = await engineCounts(conn);
      expect(got).toEqual({ ...expected, quarantined: 0 });
    });
  });

  it("refuses what it cannot do, saying why", async () => {
    const cfg = workspace({ kind: "table" });
    const code = async (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (isPipelineError(e) ? e.code : String(e)));
    expect(await code(generateSource(cfg, { append: true, seed: 1 }))).toBe("USAGE");
    expect(await code(generateSource(cfg, { accounts: 10, months: 3, seed: 1, start: "2024-13" }))).toBe("USAGE");
    expect(await code(generateSource(cfg, { accounts: 0, months: 3, seed: 1 }))).toBe("USAGE");
    expect(await code(generateSource(cfg, { accounts: 10, months: 3, seed: -1 }))).toBe("USAGE");
    expect(await code(generateSource(cfg, { accounts: 10, seed: 1 }))).toBe("USAGE");
    expect(await code(generateSource(cfg, { accounts: 10, months: 3, seed: 1, start: "2999-01" }))).toBe("USAGE");
    const files = parseConfig({ ...cfg, source: { kind: "files", format: "csv", glob: path.join(path.dirname(cfg.engine.database), "in", "*.txt") } });
    expect(await code(generateSource(files, { accounts: 10, months: 3, seed: 1 }))).toBe("CONFIG_INVALID");
  });
});

describe("generateSource into files", () => {
  const cases: { format: "csv" | "parquet"; month: MonthKind; account: "BIGINT" | "VARCHAR"; type: string }[] = [
    { format: "csv", month: "yyyy-mm", account: "BIGINT", type: "VARCHAR" },
    { format: "parquet", month: "date", account: "VARCHAR", type: "DATE" },
    { format: "parquet", month: "yyyymm", account: "BIGINT", type: "INTEGER" },
  ];
  for (const c of cases) {
    it(`writes one ${c.format} file per month (${c.month} months, ${c.account} keys) that the engine builds from`, async () => {
      const cfg = workspace({ kind: "files", format: c.format }, { month_type: c.month, account_type: c.account });
      const res = await generateSource(cfg, { accounts: 250, months: 6, seed: 11, start: "2024-03" });
      expect(res.files.map((f) => path.basename(f))).toEqual(
        ["2024_03", "2024_04", "2024_05", "2024_06", "2024_07", "2024_08"].map((m) => `batch_${m}.${c.format}`),
      );
      const dir = path.dirname(res.files[0] ?? "");
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]);
      await withConnection(cfg, async (conn) => {
        if (c.format === "parquet") {
          const t = await queryOne(conn, `SELECT typeof(rpt_as_of_mo) AS t FROM read_parquet('${dir}/*.parquet') LIMIT 1`);
          expect(t?.t).toBe(c.type);
        }
        // a late record or re-send of a month sits in a later month's file
        const src = sourceRelation(cfg, c.month);
        const later = await queryOne(
          conn,
          `SELECT count(*) FILTER (WHERE mi < batch) AS later, count(*) FILTER (WHERE mi > batch) AS earlier
           FROM (SELECT mi, CAST(regexp_extract(filename, 'batch_(\\d{4})_(\\d{2})', 1) AS INTEGER) * 12
                              + CAST(regexp_extract(filename, 'batch_(\\d{4})_(\\d{2})', 2) AS INTEGER) - 1 AS batch FROM ${src})`,
        );
        expect(n(later?.later)).toBeGreaterThan(0);
        expect(n(later?.earlier)).toBe(0);
      });
      const initial = await runPipeline({ config: cfg, mode: "initial", trigger: "test" });
      expect(initial.status).toBe("succeeded");
      expect(initial.counts.read).toBe(res.rows);
      const appended = await generateSource(cfg, { append: true, seed: 11 });
      expect(appended.files.map((f) => path.basename(f))).toEqual([`batch_2024_09.${c.format}`]);
      const next = await runPipeline({ config: cfg, trigger: "test" });
      expect(next.status).toBe("succeeded");
      expect(next.counts.read).toBe(appended.rows);
      expect(next.counts.forwardRecords).toBeGreaterThan(200);
      await withConnection(cfg, async (conn) => {
        const expected = await expectedCounts(conn, sourceRelation(cfg, c.month));
        expect(await engineCounts(conn)).toEqual({ ...expected, quarantined: 0 });
      });
    });
  }

  it("writes byte-identical files for a seed, and replaces an earlier generation's files", async () => {
    const cfg = workspace({ kind: "files", format: "csv" });
    const digest = (files: string[]) => files.map((f) => createHash("sha256").update(fs.readFileSync(f)).digest("hex"));
    const a = await generateSource(cfg, { accounts: 200, months: 5, seed: 5, start: "2023-11" });
    const first = digest(a.files);
    const b = await generateSource(cfg, { accounts: 200, months: 3, seed: 5, start: "2023-11" });
    expect(fs.readdirSync(path.dirname(b.files[0] ?? "")).sort()).toEqual(["batch_2023_11.csv", "batch_2023_12.csv", "batch_2024_01.csv"]);
    const c = await generateSource(cfg, { accounts: 200, months: 5, seed: 5, start: "2023-11" });
    expect(digest(c.files)).toEqual(first);
    const header = fs.readFileSync(c.files[0] ?? "", "utf8").split("\n")[0];
    expect(header).toBe(
      "cons_acct_key,rpt_as_of_mo,base_ts,acct_stat_cd,acct_type_cd,orig_loan_am,high_credit_am,balance_am,credit_limit_am,days_past_due,payment_rating_cd",
    );
  });

  it("runs incrementally file by file to the same tables as the records imply", async () => {
    const cfg = workspace({ kind: "files", format: "csv" }, { month_type: "date", account_type: "BIGINT" });
    const res = await generateSource(cfg, { accounts: 600, months: 5, seed: 9, start: "2024-01" });
    const dir = path.dirname(res.files[0] ?? "");
    const hold = path.join(path.dirname(dir), "held");
    fs.mkdirSync(hold);
    for (const f of res.files) fs.renameSync(f, path.join(hold, path.basename(f)));
    let stale = 0;
    for (const f of res.files) {
      fs.renameSync(path.join(hold, path.basename(f)), f);
      const r = await runPipeline({ config: cfg, trigger: "test" });
      expect(r.status).toBe("succeeded");
      stale += r.counts.staleRecords;
    }
    expect(stale).toBeGreaterThan(0);
    await withConnection(cfg, async (conn) => {
      const expected = await expectedCounts(conn, sourceRelation(cfg, "date"));
      expect(expected.deleted).toBeGreaterThan(0);
      expect(await engineCounts(conn)).toEqual({ ...expected, quarantined: 0 });
    });
  });
});

describe("globToRegExp", () => {
  it("matches the generated names the way the engine's glob does", () => {
    expect(globToRegExp("*.csv").test("batch_2024_01.csv")).toBe(true);
    expect(globToRegExp("batch_*.parquet").test("batch_2024_01.parquet")).toBe(true);
    expect(globToRegExp("**/*.csv").test("batch_2024_01.csv")).toBe(true);
    expect(globToRegExp("*.{csv,txt}").test("batch_2024_01.csv")).toBe(true);
    expect(globToRegExp("batch_202[0-4]_??.csv").test("batch_2024_01.csv")).toBe(true);
    expect(globToRegExp("*.txt").test("batch_2024_01.csv")).toBe(false);
    expect(globToRegExp("*/x.csv").test("batch_2024_01.csv")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });
});
