// Bad input (SPEC §9): invalid records go to quarantine with their reason and the run goes on;
// a missing source column fails the run with a message naming the column and its config field,
// and leaves the tables as they were.
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/pipeline/config/load";
import type { PipelineEvent, RunResult } from "../src/pipeline/api";
import { runPipeline } from "../src/pipeline/run";
import { counts, CSV_HEADER, rec, Scenario, tsText, writeRawCsv, type ScenarioOptions } from "./scenario-helpers";

const open: Scenario[] = [];
function scenario(opts: ScenarioOptions = {}): Scenario {
  const s = Scenario.create({ name: "q", ...opts });
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

function ok(r: RunResult): void {
  expect(r.error ?? "", "run error").toBe("");
  expect(r.status).toBe("succeeded");
}

const NOW = new Date("2024-06-15T12:00:00Z");
const now = () => NOW;
const T10 = tsText(10);

/** Quarantine rows of a run, in input order, with the fields of the raw record the test looks at. */
async function quarantined(s: Scenario, runId: string): Promise<{ position: number | string; reason: string; key: unknown; month: unknown }[]> {
  const rows = await s.sql(
    `SELECT position, reason, record::JSON->>'cons_acct_key' AS key, record::JSON->>'rpt_as_of_mo' AS month
     FROM quarantine WHERE run_id = '${runId}' ORDER BY position`,
  );
  // BIGINT arrives as text; kept as text when it is beyond a safe JS integer, so a failure shows it exactly
  const position = (v: unknown) => (Number.isSafeInteger(Number(v)) ? Number(v) : String(v));
  return rows.map((r) => ({ position: position(r.position), reason: String(r.reason), key: r.key, month: r.month }));
}

describe("quarantine", () => {
  it("NULL keys, unparsable or future months, bad timestamps and values that do not cast go to quarantine; the rest is processed", async () => {
    const s = scenario({ monthKind: "yyyy-mm" });
    // months up to one after the current one (2024-06) are accepted
    s.ws.config = parseConfig({ ...s.ws.config, validation: { max_future_months: 1 } });
    const good = [rec("A", "2024-01", 10), rec("A", "2024-07", 10), rec("B", "2024-02", 10, { balance: 7 })];
    const file = writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-01", T10, "11", "A", "100", "0", "1000"], // 0 good
      [null, "2024-01", T10, "11", "A", "100", "0", "1000"], // 1 NULL key
      ["A", "2024-13", T10, "11", "A", "100", "0", "1000"], // 2 month 13
      ["A", "abc", T10, "11", "A", "100", "0", "1000"], // 3 not a month
      ["A", "2024-08", T10, "11", "A", "100", "0", "1000"], // 4 two months ahead
      ["A", "2024-07", T10, "11", "A", "100", "0", "1000"], // 5 good: one month ahead
      ["A", "2024-03", null, "11", "A", "100", "0", "1000"], // 6 NULL base_ts
      ["A", "2024-03", "yesterday", "11", "A", "100", "0", "1000"], // 7 unparsable base_ts
      ["A", "2024-04", T10, "11", "A", "abc", "0", "1000"], // 8 balance not an Integer
      ["A", null, T10, "11", "A", "100", "0", "1000"], // 9 NULL month
      ["B", "2024-02", T10, "11", "A", "7", "0", "1000"], // 10 good
    ]);
    const r = await s.runOnly({ now }, good);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 11, quarantined: 8, newAccountRecords: 3, newAccounts: 2, rowsInserted: 3, latestRowsWritten: 2 }));
    // (positions are checked on their own below)
    expect((await quarantined(s, r.runId)).map(({ position: _, ...q }) => q)).toEqual([
      { reason: "null account key", key: null, month: "2024-01" },
      { reason: "unparsable month", key: "A", month: "2024-13" },
      { reason: "unparsable month", key: "A", month: "abc" },
      { reason: "month beyond the future tolerance (1 month(s) after the current month)", key: "A", month: "2024-08" },
      { reason: "null timestamp", key: "A", month: "2024-03" },
      { reason: "unparsable timestamp", key: "A", month: "2024-03" },
      { reason: "column balance_am: value does not cast to Integer: abc", key: "A", month: "2024-04" },
      { reason: "null month", key: "A", month: null },
    ]);
    expect(await s.sql(`SELECT DISTINCT source, CAST(quarantined_at AS VARCHAR) AS at FROM quarantine`)).toEqual([
      { source: file, at: "2024-06-15 12:00:00" },
    ]);
    // only the good records made rows
    expect(await s.sql(`SELECT cons_acct_key AS a, rpt_as_of_mo AS m, balance_history AS b FROM summary ORDER BY a, m`)).toEqual([
      { a: "A", m: "2024-01", b: [100, null, null, null] },
      { a: "A", m: "2024-07", b: [100, null, null, null] },
      { a: "B", m: "2024-02", b: [7, null, null, null] },
    ]);
    expect(await s.tables()).toEqual(s.expected());

    // an incremental run on top: quarantine grows by this run's records only, the good one is applied
    const more = [rec("A", "2024-06", 20, { balance: 600 })];
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-06", tsText(20), "11", "A", "600", "0", "1000"],
      ["B", "2024-05", tsText(20), "11", "A", "12.5x", "0", "1000"],
    ]);
    const r2 = await s.runOnly({ now }, more);
    ok(r2);
    expect(r2.counts).toEqual(counts({ read: 2, quarantined: 1, backfillRecords: 1, rowsInserted: 1, rowsUpdated: 1, latestRowsWritten: 1 }));
    expect((await quarantined(s, r2.runId)).map(({ position: _, ...q }) => q)).toEqual([
      { reason: "column balance_am: value does not cast to Integer: 12.5x", key: "B", month: "2024-05" },
    ]);
    expect(await s.count(`SELECT count(*) AS n FROM quarantine`)).toBe(9);
    expect((await s.row("A", "2024-07"))?.balance).toEqual([100, 600, null, null]);
    expect(await s.tables()).toEqual(s.expected());
  });

  it("quarantine.position is the record's position in its input (0-based), so an operator can find it", async () => {
    const s = scenario();
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "100", "0", "1000"],
      [null, "2024-01-01", T10, "11", "A", "100", "0", "1000"],
      ["A", "2024-02-01", T10, "11", "A", "100", "0", "1000"],
      ["A", "2024-03-01", null, "11", "A", "100", "0", "1000"],
    ]);
    const r = await s.runOnly({}, [rec("A", "2024-01", 10), rec("A", "2024-02", 10)]);
    ok(r);
    expect((await quarantined(s, r.runId)).map((q) => [q.position, q.reason])).toEqual([
      [1, "null account key"],
      [3, "null timestamp"],
    ]);
  });

  it("with several files in one run, position counts within the file named in source", async () => {
    const s = scenario();
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "100", "0", "1000"],
      ["A", "2024-02-01", T10, "11", "A", "100", "0", "1000"],
    ]);
    const second = writeRawCsv(s.ws, CSV_HEADER, [
      [null, "2024-01-01", T10, "11", "A", "100", "0", "1000"],
      ["A", "2024-03-01", null, "11", "A", "100", "0", "1000"],
    ]);
    const r = await s.runOnly({}, [rec("A", "2024-01", 10), rec("A", "2024-02", 10)]);
    ok(r);
    expect(await s.tables()).toEqual(s.expected());
    // an operator opens `source` and looks for record `position` there
    expect(await s.sql(`SELECT source, CAST(position AS INTEGER) AS position, reason FROM quarantine ORDER BY position`)).toEqual([
      { source: second, position: 0, reason: "null account key" },
      { source: second, position: 1, reason: "null timestamp" },
    ]);
  });

  it("integer keys and DATE months: an unparsable key or date is quarantined", async () => {
    const s = scenario({ accountKind: "BIGINT", monthKind: "date" });
    const good = [rec("7", "2024-02", 10)];
    writeRawCsv(s.ws, CSV_HEADER, [
      ["x1", "2024-02-01", T10, "11", "A", "100", "0", "1000"],
      ["7", "2024-02-30", T10, "11", "A", "100", "0", "1000"],
      ["7", "2024-02-29", T10, "11", "A", "100", "0", "1000"],
    ]);
    const r = await s.runOnly({ now }, good);
    ok(r);
    expect(r.counts).toMatchObject({ read: 3, quarantined: 2, newAccountRecords: 1 });
    expect((await quarantined(s, r.runId)).map((q) => [q.key, q.month, q.reason])).toEqual([
      ["x1", "2024-02-01", "unparsable account key"],
      ["7", "2024-02-30", "unparsable month"],
    ]);
    expect(await s.tables()).toEqual(s.expected());
  });

  it("integer keys read from CSV text: a key with leading zeros or a plus sign is quarantined, not merged into the plain integer", async () => {
    // TRY_CAST('007' AS BIGINT) = 7: the record of '007' replaced account 7's as an equal-timestamp conflict
    const s = scenario({ accountKind: "BIGINT", monthKind: "date" });
    const good = [rec("7", "2024-02", 10), rec("-3", "2024-02", 10)];
    writeRawCsv(s.ws, CSV_HEADER, [
      ["7", "2024-02-01", T10, "11", "A", "100", "0", "1000"],
      ["007", "2024-02-01", T10, "11", "A", "555", "0", "1000"],
      ["+7", "2024-02-01", T10, "11", "A", "556", "0", "1000"],
      ["-3", "2024-02-01", T10, "11", "A", "100", "0", "1000"],
    ]);
    const r = await s.runOnly({ now }, good);
    ok(r);
    expect(r.counts).toMatchObject({ read: 4, quarantined: 2, newAccountRecords: 2, equalTimestampConflicts: 0 });
    const q = await quarantined(s, r.runId);
    expect(q.map((x) => x.key)).toEqual(["007", "+7"]);
    for (const x of q) expect(x.reason).toMatch(/^account key is not a plain integer .*keys\.account_type/);
    expect(await s.tables()).toEqual(s.expected());
  });

  it("a scalar whose sniffed type changes from file to file is cast to the summary's type; a value that does not cast is quarantined", async () => {
    // the second file's acct_type_cd sniffed VARCHAR against the first's BIGINT: the classification
    // failed to mix them, on that run and on every resume or run after it
    const s = scenario({ monthKind: "date" });
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "1", "100", "0", "1000"],
      ["B", "2024-01-01", T10, "11", "2", "100", "0", "1000"],
    ]);
    ok(await s.runOnly({ now }, [rec("A", "2024-01", 10, { typ: "1" }), rec("B", "2024-01", 10, { typ: "2" })]));
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-02-01", tsText(20), "11", "X", "100", "0", "1000"],
      ["A", "2024-01-01", tsText(20), "11", "3", "101", "0", "1000"],
      ["B", "2024-02-01", tsText(20), "11", "", "100", "0", "1000"],
    ]);
    const r = await s.runOnly({ now }, [rec("A", "2024-01", 20, { typ: "3", balance: 101 }), rec("B", "2024-02", 20, { typ: null })]);
    ok(r);
    expect(r.counts).toMatchObject({ read: 3, quarantined: 1 });
    expect((await quarantined(s, r.runId)).map((q) => [q.key, q.month, q.reason])).toEqual([
      ["A", "2024-02-01", "columns[0] (acct_type_cd): value does not cast to BIGINT, the type of the summary's column: X"],
    ]);
    expect(await s.tables()).toEqual(s.expected());
  });

  it("a CSV column read by rolling columns of several types is cast only as far as all of them read it", async () => {
    // it was cast to the type of the first typed rolling column over it, whatever the others read:
    // the String rating's upper(trim(code)) and length(code) then failed to bind (a config error
    // for a valid config), and a BigInt mapper's arithmetic overflowed the Integer balance
    const s = scenario({ monthKind: "date" });
    s.ws.config = parseConfig({
      ...s.ws.config,
      rolling_columns: [
        ...s.ws.config.rolling_columns,
        { name: "rating_len", source_column: "payment_rating_cd", mapper_expr: "length(payment_rating_cd)", data_type: "Integer", history_length: 2 },
        { name: "balance_e8", source_column: "balance_am", mapper_expr: "balance_am * 100000000", data_type: "BigInt", history_length: 2 },
      ],
    });
    writeRawCsv(s.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "100", " c", "1000"],
      ["A", "2024-02-01", T10, "11", "A", "abc", "12", "1000"], // not a number: the column is sniffed as text
      ["B", "2024-01-01", T10, "11", "A", "30", "1", "1000"],
    ]);
    const r = await s.runOnly({ now });
    ok(r);
    expect(r.counts).toMatchObject({ read: 3, quarantined: 1 });
    expect((await quarantined(s, r.runId)).map((q) => [q.key, q.month, q.reason])).toEqual([
      ["A", "2024-02-01", "column balance_am: value does not cast to BigInt: abc"],
    ]);
    expect(
      await s.sql(
        `SELECT cons_acct_key AS a, rating_history[1] AS r, rating_len_history AS l, balance_history[1] AS b,
                CAST(balance_e8_history[1] AS VARCHAR) AS e FROM summary ORDER BY a`,
      ),
    ).toEqual([
      { a: "A", r: "C", l: [2, null], b: 100, e: "10000000000" },
      { a: "B", r: "1", l: [1, null], b: 30, e: "3000000000" },
    ]);
  });

  it("CSV columns are cast together, and only where the expressions reading them evaluate on the cast", async () => {
    const withMappers = (s: Scenario, mappers: Record<string, string>) =>
      parseConfig({ ...s.ws.config, rolling_columns: s.ws.config.rolling_columns.map((c) => ({ ...c, mapper_expr: mappers[c.name] ?? c.mapper_expr })) });
    // one expression over two text-sniffed columns: cast one at a time, each failed the test
    // while the other was text, and both stayed text, which the expression cannot add
    const two = scenario({ monthKind: "date" });
    two.ws.config = withMappers(two, { balance: "COALESCE(balance_am, 0) + COALESCE(credit_limit_am, 0)" });
    writeRawCsv(two.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "100", "0", "5"],
      ["B", "2024-01-01", T10, "11", "A", "x", "0", "y"],
    ]);
    const r = await two.runOnly({ now });
    ok(r);
    expect((await quarantined(two, r.runId)).map((q) => [q.key, q.reason])).toEqual([["B", "column balance_am: value does not cast to Integer: x"]]);
    // the quarantined record keeps the text that did not cast (it held NULL for both)
    expect(await two.sql(`SELECT record::JSON->>'balance_am' AS b, record::JSON->>'credit_limit_am' AS c, record::JSON->>'rpt_as_of_mo' AS m FROM quarantine`)).toEqual([
      { b: "x", c: "y", m: "2024-01-01" },
    ]);
    expect(await two.sql(`SELECT cons_acct_key AS a, balance_history[1] AS b, credit_limit_history[1] AS c FROM summary`)).toEqual([{ a: "A", b: 105, c: "5" }]);
    // a decimal and an integer column over one column keep its exact digits (DOUBLE rounded them)
    const exact = scenario({ monthKind: "date" });
    exact.ws.config = parseConfig({
      ...exact.ws.config,
      rolling_columns: [...exact.ws.config.rolling_columns, { name: "limit_exact", source_column: "credit_limit_am", data_type: "Decimal(20,2)", history_length: 2 }],
    });
    writeRawCsv(exact.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "1", "0", "1234567890123456.78"],
      ["B", "2024-01-01", T10, "11", "A", "1", "0", "n/a"],
    ]);
    ok(await exact.runOnly({ now }));
    expect(await exact.sql(`SELECT CAST(limit_exact_history[1] AS VARCHAR) AS d, CAST(credit_limit_history[1] AS VARCHAR) AS b FROM summary`)).toEqual([
      { d: "1234567890123456.78", b: "1234567890123457" },
    ]);
    // a sentinel compared as text binds to a BIGINT column too, and fails on its first row
    const sentinel = scenario({ monthKind: "date" });
    sentinel.ws.config = withMappers(sentinel, { balance: "CASE WHEN balance_am = 'N/A' THEN NULL ELSE balance_am END" });
    writeRawCsv(sentinel.ws, CSV_HEADER, [
      ["A", "2024-01-01", T10, "11", "A", "100", "0", "5"],
      ["B", "2024-01-01", T10, "11", "A", "N/A", "0", "5"],
    ]);
    ok(await sentinel.runOnly({ now }));
    expect(await sentinel.sql(`SELECT cons_acct_key AS a, balance_history[1] AS b FROM summary ORDER BY a`)).toEqual([
      { a: "A", b: 100 },
      { a: "B", b: null },
    ]);
  });

  it("a source file without the month column fails the run, naming the column and keys.month; nothing is written", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10), rec("A", "2024-02", 10)]));
    const before = await s.tables();
    writeRawCsv(
      s.ws,
      CSV_HEADER.filter((c) => c !== "rpt_as_of_mo"),
      [["A", tsText(20), "11", "A", "300", "0", "1000"]],
    );
    const r = await s.runOnly();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("SOURCE");
    expect(r.error).toContain("keys.month");
    expect(r.error).toContain('column "rpt_as_of_mo" is not in the source');
    expect(await s.tables()).toEqual(before);
    expect(await s.count(`SELECT count(*) AS n FROM quarantine`)).toBe(0);
    expect(await s.sql(`SELECT status, error FROM _sp.runs WHERE run_id = '${r.runId}'`)).toEqual([{ status: "failed", error: r.error ?? "" }]);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.manifest`)).toBe(1); // the bad file is not marked ingested

    // with the file fixed the next run ingests it
    fs.rmSync(`${s.ws.inbox}/batch_00002.csv`);
    ok(await s.ingest([rec("A", "2024-03", 20)]));
    expect(await s.tables()).toEqual(s.expected());
  });

  it("a CSV file whose lines do not all have the header's number of fields fails the run, named; nothing of the run is ingested", async () => {
    // DuckDB's sniffer read such a file from the first line after which the widths agree: the
    // lines before it, the header among them, were lost, and the run succeeded
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10)]));
    const before = await s.tables();
    writeRawCsv(s.ws, CSV_HEADER, [["B", "2024-01-01", T10, "11", "A", "100", "0", "1000"]]);
    const ragged = writeRawCsv(s.ws, CSV_HEADER, [
      ["C", "2024-01-01", T10, "11", "A", "100", "0"],
      ["D", "2024-01-01", T10, "11", "A", "100", "0", "1000"],
      ["E", "2024-01-01", T10, "11", "A", "100", "0", "1000", "x", "y", "z"],
    ]);
    const r = await s.runOnly();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("SOURCE");
    expect(r.error).toBe(`source file ${ragged} is not a consistent CSV file: its lines do not all have as many fields as its header (they agree only from line 4 on)`);
    expect(await s.tables()).toEqual(before);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.manifest`)).toBe(1);
    // one short line among many: the sniffer read each whole line as one column
    const short = [["C", "2024-01-01", T10, "11", "A", "100", "0", "1000"], ["D", "2024-01-01", T10, "11", "A", "100", "0"], ["E", "2024-01-01", T10, "11", "A", "100", "0", "1000"]];
    fs.writeFileSync(ragged, [CSV_HEADER.join(","), ...short.map((l) => l.join(","))].join("\n") + "\n");
    const r2 = await s.runOnly();
    expect(r2.error).toBe(`source file ${ragged} is not a consistent CSV file: its lines do not all have as many fields as its header`);
    expect(await s.tables()).toEqual(before);
    // an empty file is named the same way
    fs.writeFileSync(ragged, "");
    const empty = await s.runOnly();
    expect(empty.error).toBe(`source file ${ragged} is empty: a CSV source file starts with its header row`);
    expect(await s.tables()).toEqual(before);
    // blank lines and # comments before the header drop nothing: read
    fs.writeFileSync(ragged, `\n# export of 2024-01\n${CSV_HEADER.join(",")}\nC,2024-01-01,${T10},11,A,100,0,1000\n`);
    ok(await s.runOnly({}, [rec("B", "2024-01", 10), rec("C", "2024-01", 10)]));
    expect(await s.tables()).toEqual(s.expected());
  });

  it("each file must have the key and source columns: one without them fails the run, named, instead of reading NULLs", async () => {
    // the files are read together by column name: a file without balance_am gave its records a
    // NULL balance, which COALESCE(balance_am, 0) turned into 0, and the run succeeded
    const s = scenario();
    s.ws.config = parseConfig({ ...s.ws.config, columns: [...s.ws.config.columns, { name: "branch", expr: "upper(branch_cd)" }] });
    const header = [...CSV_HEADER, "branch_cd"];
    writeRawCsv(s.ws, header, [["A", "2024-01-01", T10, "11", "A", "100", "0", "1000", "n"]]);
    const noBalance = writeRawCsv(
      s.ws,
      header.filter((c) => c !== "balance_am"),
      [["B", "2024-01-01", T10, "11", "A", "0", "1000", "s"]],
    );
    const r = await s.runOnly();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("SOURCE");
    expect(r.error).toContain(`rolling_columns[0].source_column: column "balance_am" is not in the source (${noBalance})`);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.manifest`)).toBe(0);
    // a column only an expression reads may be missing from a file (an older format): NULL there
    fs.rmSync(noBalance);
    writeRawCsv(s.ws, CSV_HEADER, [["B", "2024-01-01", T10, "11", "A", "5", "0", "1000"]]);
    ok(await s.runOnly());
    expect(await s.sql(`SELECT cons_acct_key AS a, branch AS b, balance_history[1] AS bal FROM summary ORDER BY a`)).toEqual([
      { a: "A", b: "N", bal: 100 },
      { a: "B", b: null, bal: 5 },
    ]);
  });

  it("a Parquet file without a column the config reads fails the run, named", async () => {
    const s = scenario();
    s.ws.config = parseConfig({ ...s.ws.config, source: { kind: "files", format: "parquet", glob: `${s.ws.inbox}/*.parquet` } });
    const row = `'A' AS cons_acct_key, DATE '2024-01-01' AS rpt_as_of_mo, TIMESTAMP '${T10}' AS base_ts, '11' AS acct_stat_cd, 'A' AS acct_type_cd`;
    const full = `${s.ws.inbox}/a.parquet`;
    const partial = `${s.ws.inbox}/b.parquet`;
    await s.sql(`COPY (SELECT ${row}, 100 AS balance_am, '0' AS payment_rating_cd, 1000 AS credit_limit_am) TO '${full}' (FORMAT parquet)`);
    await s.sql(`COPY (SELECT ${row}, '0' AS payment_rating_cd, 1000 AS credit_limit_am) TO '${partial}' (FORMAT parquet)`);
    const r = await s.runOnly();
    expect(r.status).toBe("failed");
    expect(r.error).toContain(`rolling_columns[0].source_column: column "balance_am" is not in the source (${partial})`);
    fs.writeFileSync(partial, "not parquet");
    const r2 = await s.runOnly();
    expect(r2.status).toBe("failed");
    expect(r2.error).toMatch(new RegExp(`^source file ${partial} cannot be read as Parquet: `));
  });

  it("checks the config's expressions for their shape before recording a run, with or without new files", async () => {
    // a file source's expressions were checked at staging only: a refused mapper got a run
    // recorded (and failed), and with nothing new it passed unchecked
    const s = scenario();
    const runs = async () =>
      (await s.count(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = '_sp' AND table_name = 'runs'`)) === 0
        ? 0
        : s.count(`SELECT count(*) AS n FROM _sp.runs`);
    const withMapper = (mapper: string) =>
      parseConfig({ ...s.ws.config, rolling_columns: s.ws.config.rolling_columns.map((c, i) => (i === 0 ? { ...c, mapper_expr: mapper } : c)) });
    writeRawCsv(s.ws, CSV_HEADER, [["A", "2024-01-01", T10, "11", "A", "100", "0", "1000"]]);
    for (const round of ["with a new file", "with nothing new"]) {
      const before = await runs();
      for (const dryRun of [false, true]) {
        const r = runPipeline({ config: withMapper("read_csv('/etc/passwd')"), dryRun });
        await expect(r, round).rejects.toMatchObject({ code: "CONFIG_INVALID" });
        await expect(r, round).rejects.toThrow(/rolling_columns\[0\]\.mapper_expr: function "read_csv" is not allowed/);
      }
      expect(await runs(), round).toBe(before);
      if (round === "with a new file") {
        // a column the files lack is known once they are read: the run fails, naming the field
        const unknown = await runPipeline({ config: withMapper("COALESCE(balance_amt, 0)") });
        expect(unknown.status).toBe("failed");
        expect(unknown.errorCode).toBe("CONFIG_INVALID");
        expect(unknown.error).toMatch(/rolling_columns\[0\]\.mapper_expr: unknown column "balance_amt"/);
        ok(await s.runOnly({}, [rec("A", "2024-01", 10)]));
      }
    }
  });

  it("a source.glob whose folder does not exist is warned about, not taken silently for an empty inbox", async () => {
    const s = scenario();
    const missing = `${s.ws.dir}/no-such-folder`;
    const events: PipelineEvent[] = [];
    const r = await runPipeline({ config: parseConfig({ ...s.ws.config, source: { kind: "files", format: "csv", glob: `${missing}/*.csv` } }), onEvent: (e) => events.push(e) });
    ok(r);
    const logs = events.flatMap((e) => (e.type === "log" ? [`${e.level}: ${e.message}`] : []));
    expect(logs).toContain(`warn: the folder of source.glob (${missing}) does not exist`);
  });

  it("a rolling column whose source column is missing fails the run with rolling_columns[0].source_column", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10)]));
    const before = await s.tables();
    const [first, ...rest] = s.ws.config.rolling_columns;
    if (!first) throw new Error("no rolling column");
    s.ws.config = parseConfig({ ...s.ws.config, rolling_columns: [{ ...first, source_column: "balance_amount" }, ...rest] });
    writeRawCsv(s.ws, CSV_HEADER, [["A", "2024-02-01", tsText(20), "11", "A", "200", "0", "1000"]]);
    const r = await s.runOnly();
    expect(r.status).toBe("failed");
    expect(r.error).toContain("rolling_columns[0].source_column");
    expect(r.error).toContain('"balance_amount"');
    expect(await s.tables()).toEqual(before);
  });
});
