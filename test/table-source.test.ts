// A TABLE source (SPEC §6): the incremental watermark on base_ts, initial rebuilds from the whole
// table, and readers that see either the tables before a run or after it, never a mix.
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/pipeline/config/load";
import { execute, quoteString } from "../src/pipeline/engine/duckdb";
import type { RunResult } from "../src/pipeline/api";
import { runPipeline } from "../src/pipeline/run";
import { readTables } from "./harness";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { counts, rec, Scenario, tomb, tsText, withConnection, ym } from "./scenario-helpers";

const open: Scenario[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

/** A scenario whose source is the table `accounts_all` of the engine database. */
async function tableScenario(): Promise<Scenario> {
  const s = Scenario.create({ name: "tbl" });
  open.push(s);
  s.ws.config = parseConfig({ ...s.ws.config, source: { kind: "table", name: "accounts_all" } });
  await withConnection(s.ws.database, (conn) =>
    execute(
      conn,
      `CREATE TABLE accounts_all (
         cons_acct_key VARCHAR, rpt_as_of_mo DATE, base_ts TIMESTAMP, acct_stat_cd VARCHAR,
         acct_type_cd VARCHAR, balance_am INTEGER, payment_rating_cd VARCHAR, credit_limit_am BIGINT)`,
    ),
  );
  return s;
}

const lit = (v: string | number | null) => (v === null ? "NULL" : typeof v === "number" ? String(v) : quoteString(v));

/** Appends records to the source table (months as dates on the 15th: any day means the month). */
async function insert(s: Scenario, records: RefRecord[]): Promise<void> {
  const values = records.map(
    (r) =>
      `(${lit(r.acct)}, DATE '${ym(r.mi)}-15', TIMESTAMP '${tsText(r.ts)}', ${lit(r.stat)}, ${lit(r.typ)}, ${lit(r.balance)}, ${lit(r.rating)}, ${lit(r.limit)})`,
  );
  await withConnection(s.ws.database, (conn) => execute(conn, `INSERT INTO accounts_all VALUES ${values.join(", ")}`));
}

async function watermark(s: Scenario): Promise<string | null> {
  const rows = await s.sql(`SELECT CAST(ts AS VARCHAR) AS ts FROM _sp.watermark WHERE source = 'table:accounts_all'`);
  return rows.length ? String(rows[0]?.ts) : null;
}

function ok(r: RunResult): void {
  expect(r.error ?? "", "run error").toBe("");
  expect(r.status).toBe("succeeded");
}

const batch1 = [
  rec("A", "2024-01", 10, { balance: 100, rating: "1" }),
  rec("A", "2024-02", 10, { balance: 200, rating: "2" }),
  rec("A", "2024-03", 10, { balance: 300, rating: "3" }),
  rec("B", "2024-01", 11, { balance: 50, limit: -1 }),
];
const batch2 = [
  rec("A", "2024-04", 20, { balance: 400, rating: "4" }), // forward
  rec("A", "2024-02", 21, { balance: 222, rating: "9" }), // correction
  rec("C", "2024-02", 22), // new account
  tomb("B", "2024-01", 23), // delete
];

describe("table source", () => {
  it("initial, then incremental: only rows with base_ts above the watermark are read", async () => {
    const s = await tableScenario();
    await insert(s, batch1);
    const first = await s.runOnly({}, batch1);
    ok(first);
    expect(first.mode).toBe("initial");
    expect(first.counts).toEqual(counts({ read: 4, newAccountRecords: 4, newAccounts: 2, rowsInserted: 4, latestRowsWritten: 2 }));
    expect(await watermark(s)).toBe("2020-01-01 00:00:11");

    await insert(s, batch2);
    const second = await s.runOnly({}, batch2);
    ok(second);
    expect(second.mode).toBe("incremental");
    expect(second.counts).toEqual(
      counts({
        read: 4,
        newAccountRecords: 1,
        newAccounts: 1,
        forwardRecords: 1,
        backfillRecords: 1,
        deleteRecords: 1,
        // A: rows 02, 03 rewritten, 04 new; B: row 01 flagged; C: row 02 new
        rowsInserted: 2,
        rowsUpdated: 3,
        latestRowsWritten: 2, // A and C; B has no live month left
      }),
    );
    expect(await watermark(s)).toBe("2020-01-01 00:00:23");
    const t = await s.tables();
    expect(t.latest.map((r) => [r.acct, ym(r.mi), r.ts, r.balance])).toEqual([
      ["A", "2024-04", 21, [400, 300, 222, 100]],
      ["C", "2024-02", 22, [100, null, null, null]],
    ]);
    expect(t).toEqual(s.expected());

    // nothing new: nothing read
    const third = await s.runOnly();
    ok(third);
    expect(third.counts.read).toBe(0);
    expect(await s.tables()).toEqual(t);
  });

  it("a row inserted with base_ts at or below the watermark is not picked up by incremental runs; an initial run rebuilds from the whole table", async () => {
    const s = await tableScenario();
    await insert(s, batch1);
    ok(await s.runOnly({}, batch1));
    await insert(s, batch2);
    ok(await s.runOnly({}, batch2));
    const before = await s.tables();
    expect(await watermark(s)).toBe("2020-01-01 00:00:23");

    // late rows whose base_ts does not exceed the watermark (23 s): documented to be invisible to incremental runs
    const late = [rec("A", "2024-05", 15, { balance: 500, rating: "5" }), rec("D", "2024-01", 23, { balance: 7 })];
    await insert(s, late);
    const inc = await s.runOnly();
    ok(inc);
    expect(inc.counts.read).toBe(0);
    expect(await s.tables()).toEqual(before);
    expect(await s.count(`SELECT count(*) AS n FROM summary WHERE cons_acct_key = 'D' OR rpt_as_of_mo = DATE '2024-05-01'`)).toBe(0);

    // initial: the whole table, as one batch in table order
    const all = [...batch1, ...batch2, ...late];
    const rebuild = await s.runOnly({ mode: "initial" });
    ok(rebuild);
    expect(rebuild.mode).toBe("initial");
    expect(rebuild.counts).toMatchObject({ read: 10, quarantined: 0, duplicates: 2 }) // A 2024-02 and B 2024-01 twice;
    const want = referenceTables([all], s.ref);
    const got = await s.tables();
    expect(got).toEqual({ summary: sortRows(want.summary), latest: sortRows(want.latest) });
    expect(got.latest.map((r) => [r.acct, ym(r.mi)])).toEqual([
      ["A", "2024-05"],
      ["C", "2024-02"],
      ["D", "2024-01"],
    ]);
    expect(await watermark(s)).toBe("2020-01-01 00:00:23");
    // no build tables left behind
    expect(await s.sql(`SELECT table_name FROM duckdb_tables() WHERE regexp_matches(table_name, '__build_|^(work|stage)_')`)).toEqual([]);
  });

  it("readers see the tables before a run until it commits, then the tables after it", async () => {
    const s = await tableScenario();
    await insert(s, batch1);
    ok(await s.runOnly({}, batch1));
    const v1 = await s.tables();

    // incremental: buckets commit with their data; before the commit a reader sees v1
    await insert(s, batch2);
    const seenInc: unknown[] = [];
    ok(
      await s.runOnly(
        { hooks: { beforeBucketCommit: async () => void seenInc.push(await readTables(s.ws)) } },
        batch2,
      ),
    );
    expect(seenInc.length).toBeGreaterThan(0);
    for (const seen of seenInc) expect(seen).toEqual(v1);
    const v2 = await s.tables();
    expect(v2).toEqual(s.expected());

    // initial rebuild: built beside the live tables and swapped in at the end; readers see v2 until then
    await insert(s, [rec("E", "2024-03", 30)]);
    const seenInit: unknown[] = [];
    const rebuild = await s.runOnly({ mode: "initial", hooks: { beforeBucketCommit: async () => void seenInit.push(await readTables(s.ws)) } });
    ok(rebuild);
    expect(seenInit.length).toBeGreaterThan(0);
    for (const seen of seenInit) expect(seen).toEqual(v2);
    const want = referenceTables([[...batch1, ...batch2, rec("E", "2024-03", 30)]], s.ref);
    expect(await s.tables()).toEqual({ summary: sortRows(want.summary), latest: sortRows(want.latest) });
  });

  it("a VARCHAR key column keeps text keys even when the first batch's keys all look like integers", async () => {
    // they were read as BIGINT keys: a later 'X9' was quarantined and '010' became account 10
    const s = await tableScenario();
    // the key type left to the source, as the default config does
    s.ws.config = parseConfig({ ...s.ws.config, keys: { ...s.ws.config.keys, account_type: null } });
    const first = [rec("1", "2024-01", 10), rec("2", "2024-01", 10)];
    await insert(s, first);
    ok(await s.runOnly({}, first));
    const second = [rec("X9", "2024-02", 20), rec("010", "2024-02", 20), rec("10", "2024-02", 20), rec("1", "2024-02", 20)];
    await insert(s, second);
    const r = await s.runOnly({}, second);
    ok(r);
    expect(r.counts).toMatchObject({ read: 4, quarantined: 0 });
    expect(await s.sql(`SELECT data_type FROM duckdb_columns() WHERE table_name = 'summary' AND column_name = 'cons_acct_key'`)).toEqual([
      { data_type: "VARCHAR" },
    ]);
    expect(await s.tables()).toEqual(s.expected());
    expect((await s.tables()).latest.map((l) => l.acct).sort()).toEqual(["010", "1", "10", "2", "X9"]);
  });

  it("a mapper that does not fit the source column's type fails the run as a config error naming the field, not as a resumable failure", async () => {
    const s = await tableScenario();
    await withConnection(s.ws.database, (conn) => execute(conn, `ALTER TABLE accounts_all ALTER balance_am TYPE VARCHAR`));
    await insert(s, batch1);
    const r = await s.runOnly({}, batch1);
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("CONFIG_INVALID");
    expect(r.error).toMatch(/^a configured expression does not fit the source's columns \(accounts_all\): rolling_columns\[0\]\.mapper_expr: Binder Error/);
    expect(await s.tables()).toEqual({ summary: [], latest: [] });
  });

  it("checks the config's expressions against the table's columns before recording a run, even with nothing new", async () => {
    // with nothing new the run ended before any check: a refused expression passed, a dry run exited 0
    const s = await tableScenario();
    await insert(s, batch1);
    ok(await s.runOnly({}, batch1));
    const runs = async () => Number((await s.sql(`SELECT count(*) AS n FROM _sp.runs`))[0]?.n);
    const before = await runs();
    const rolling = s.ws.config.rolling_columns.map((c, i) => (i === 0 ? { ...c, mapper_expr: "read_csv('/etc/passwd')" } : c));
    const bad = parseConfig({ ...s.ws.config, rolling_columns: rolling });
    for (const dryRun of [false, true]) {
      const r = runPipeline({ config: bad, dryRun });
      await expect(r).rejects.toMatchObject({ code: "CONFIG_INVALID" });
      await expect(r).rejects.toThrow(/rolling_columns\[0\]\.mapper_expr: function "read_csv" is not allowed/);
    }
    expect(await runs()).toBe(before);
  });

  it("an initial run quarantines table rows with a NULL base_ts", async () => {
    const s = await tableScenario();
    await insert(s, batch1);
    await withConnection(s.ws.database, (conn) =>
      execute(conn, `INSERT INTO accounts_all (cons_acct_key, rpt_as_of_mo, base_ts, balance_am) VALUES ('Z', DATE '2024-01-01', NULL, 1)`),
    );
    const r = await s.runOnly({}, batch1);
    ok(r);
    expect(r.counts).toMatchObject({ read: 5, quarantined: 1, newAccountRecords: 4 });
    expect(await s.sql(`SELECT source, reason, record::JSON->>'cons_acct_key' AS k FROM quarantine`)).toEqual([
      { source: "accounts_all", reason: "null timestamp", k: "Z" },
    ]);
    // the record holds the source row, its columns only (it carried the row id it was joined by)
    const [q] = await s.sql(`SELECT record FROM quarantine`);
    expect(Object.keys(JSON.parse(String(q?.record)) as object)).toEqual([
      "cons_acct_key", "rpt_as_of_mo", "base_ts", "acct_stat_cd", "acct_type_cd", "balance_am", "payment_rating_cd", "credit_limit_am",
    ]);
    expect(await s.tables()).toEqual(s.expected());
  });

  it("an incremental run quarantines the rows with a NULL base_ts inserted since, once", async () => {
    // the watermark's lower bound (base_ts > it) passed them over: they were dropped silently
    const s = await tableScenario();
    await insert(s, batch1);
    ok(await s.runOnly({}, batch1));
    const nullTs = (acct: string) =>
      withConnection(s.ws.database, (conn) =>
        execute(conn, `INSERT INTO accounts_all (cons_acct_key, rpt_as_of_mo, base_ts, balance_am) VALUES ('${acct}', DATE '2024-02-01', NULL, 1)`),
      );
    await nullTs("Y");
    await insert(s, batch2);
    const r = await s.runOnly({}, batch2);
    ok(r);
    expect(r.counts).toMatchObject({ read: 5, quarantined: 1 });
    await nullTs("Z");
    const again = await s.runOnly();
    ok(again);
    expect(again.counts).toMatchObject({ read: 1, quarantined: 1 });
    expect((await s.runOnly()).counts).toMatchObject({ read: 0, quarantined: 0 });
    expect(await s.sql(`SELECT reason, record::JSON->>'cons_acct_key' AS k FROM quarantine ORDER BY k`)).toEqual([
      { reason: "null timestamp", k: "Y" },
      { reason: "null timestamp", k: "Z" },
    ]);
    expect(await s.tables()).toEqual(s.expected());
  });
});
