// Named scenarios of SPEC §3/§4: each case of the classification table, the edge cases a data
// engineer would try first, idempotency and dry runs. Every scenario asserts exact rows and counts,
// and compares the engine's tables with the reference implementation of SPEC §3.
//
// The harness config: balance (Integer, COALESCE(balance_am, 0), 4 months), rating (String,
// upper(trim(x)), 6 months, grid `rating_grid`), credit_limit (BigInt, -1 → NULL, 3 months);
// base_ts spans the longest history, 6 months. Timestamps are seconds after 2020-01-01.
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { writeBatch } from "./harness";
import type { RefRow } from "./reference";
import { counts, mi, months, rec, Scenario, tomb, ym, type ScenarioOptions } from "./scenario-helpers";

const open: Scenario[] = [];
function scenario(opts: ScenarioOptions = {}): Scenario {
  const s = Scenario.create(opts);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

type Cell<T> = T | null;
/** An expected summary row, written out in full. */
function row(
  acct: string,
  month: string,
  ts: number,
  balance: Cell<number>[],
  rating: Cell<string>[],
  limit: Cell<number>[],
  grid: string,
  more: { stat?: string | null; typ?: string | null } = {},
): RefRow {
  return { acct, mi: mi(month), ts, typ: more.typ === undefined ? "A" : more.typ, stat: more.stat === undefined ? "11" : more.stat, balance, rating, limit, grid };
}

/** The engine's tables equal the reference over every batch ingested so far. */
async function expectReference(s: Scenario): Promise<void> {
  const got = await s.tables();
  const want = s.expected();
  expect(got.summary, "summary == reference").toEqual(want.summary);
  expect(got.latest, "latest_summary == reference").toEqual(want.latest);
}

function ok(r: { status: string; error?: string }): void {
  expect(r.error ?? "", "run error").toBe("");
  expect(r.status).toBe("succeeded");
}

describe("SPEC §4 cases", () => {
  it("I — a new account builds all its rows, NULLs where it reported nothing", async () => {
    const s = scenario();
    const r = await s.ingest([
      rec("A", "2024-01", 10, { balance: 100, rating: "1", limit: 500 }),
      rec("A", "2024-03", 10, { balance: 300, rating: "2", limit: -1 }),
    ]);
    ok(r);
    expect(r.mode).toBe("initial"); // an empty summary makes the first incremental run an initial one
    expect(r.counts).toEqual(counts({ read: 2, newAccountRecords: 2, newAccounts: 1, rowsInserted: 2, latestRowsWritten: 1 }));
    const t = await s.tables();
    const r03 = row("A", "2024-03", 10, [300, null, 100, null], ["2", null, "1", null, null, null], [null, null, 500], "2?1???");
    expect(t.summary).toEqual([
      row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [500, null, null], "1?????"),
      r03,
    ]);
    expect(t.latest).toEqual([r03]);
    await expectReference(s);
  });

  it("II — a forward month shifts the latest row right and puts the new value at 0", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100, rating: "1", limit: 500 })]));
    const r = await s.ingest([rec("A", "2024-02", 20, { balance: 200, rating: "2", limit: 600 })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, forwardRecords: 1, rowsInserted: 1, latestRowsWritten: 1 }));
    const r02 = row("A", "2024-02", 20, [200, 100, null, null], ["2", "1", null, null, null, null], [600, 500, null], "21????");
    expect((await s.tables()).summary).toEqual([
      row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [500, null, null], "1?????"),
      r02,
    ]);
    expect((await s.tables()).latest).toEqual([r02]);
    await expectReference(s);
  });

  it("III — a late month builds its row from the earlier one and patches the later rows", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { balance: 100, rating: "1", limit: 500 }),
        rec("A", "2024-03", 10, { balance: 300, rating: "3", limit: 700 }),
      ]),
    );
    const r = await s.ingest([rec("A", "2024-02", 20, { balance: 200, rating: "2", limit: 600 })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, backfillRecords: 1, rowsInserted: 1, rowsUpdated: 1, latestRowsWritten: 1 }));
    const r03 = row("A", "2024-03", 20, [300, 200, 100, null], ["3", "2", "1", null, null, null], [700, 600, 500], "321???");
    expect((await s.tables()).summary).toEqual([
      row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [500, null, null], "1?????"),
      row("A", "2024-02", 20, [200, 100, null, null], ["2", "1", null, null, null, null], [600, 500, null], "21????"),
      r03,
    ]);
    expect((await s.tables()).latest).toEqual([r03]);
    await expectReference(s);
  });

  it("III — a correction of an existing month replaces its value in its row and in the later rows", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { balance: 100, rating: "1" }),
        rec("A", "2024-02", 10, { balance: 200, rating: "2" }),
        rec("A", "2024-03", 10, { balance: 300, rating: "3" }),
      ]),
    );
    const r = await s.ingest([rec("A", "2024-02", 20, { balance: 222, rating: "9", typ: "B" })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, backfillRecords: 1, rowsUpdated: 2, latestRowsWritten: 1 }));
    const r03 = row("A", "2024-03", 20, [300, 222, 100, null], ["3", "9", "1", null, null, null], [1000, 1000, 1000], "391???");
    expect((await s.tables()).summary).toEqual([
      row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [1000, null, null], "1?????"),
      row("A", "2024-02", 20, [222, 100, null, null], ["9", "1", null, null, null, null], [1000, 1000, null], "91????", { typ: "B" }),
      r03,
    ]);
    expect((await s.tables()).latest).toEqual([r03]);
    await expectReference(s);
  });

  it("stale — a record older than the ingested one for the same month is skipped and counted", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10), rec("A", "2024-02", 10, { balance: 200 })]));
    const before = await s.tables();
    const r = await s.ingest([rec("A", "2024-02", 5, { balance: 999 })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, staleRecords: 1 }));
    expect(await s.tables()).toEqual(before);
    expect((await s.row("A", "2024-02"))?.balance).toEqual([200, 100, null, null]);
    await expectReference(s);
  });

  it("delete — a soft delete keeps the row flagged, NULLs the month everywhere and advances base_ts; latest falls back", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { balance: 100, rating: "1", limit: 500 }),
        rec("A", "2024-02", 10, { balance: 200, rating: "2", limit: 600 }),
        rec("A", "2024-03", 10, { balance: 300, rating: "3", limit: 700 }),
      ]),
    );
    const r01 = row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [500, null, null], "1?????");

    // delete a middle month
    const r = await s.ingest([tomb("A", "2024-02", 20)]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, deleteRecords: 1, rowsUpdated: 2, latestRowsWritten: 1 }));
    const r03 = row("A", "2024-03", 20, [300, null, 100, null], ["3", null, "1", null, null, null], [700, null, 500], "3?1???");
    expect((await s.tables()).summary).toEqual([
      r01,
      row("A", "2024-02", 20, [null, 100, null, null], [null, "1", null, null, null, null], [null, 500, null], "?1????", { stat: "DA" }),
      r03,
    ]);
    expect((await s.tables()).latest).toEqual([r03]);
    await expectReference(s);

    // delete the latest month: latest_summary falls back past the deleted February to January
    const r2 = await s.ingest([tomb("A", "2024-03", 30, "DF")]);
    ok(r2);
    expect(r2.counts).toEqual(counts({ read: 1, deleteRecords: 1, rowsUpdated: 1, latestRowsWritten: 1 }));
    expect(await s.row("A", "2024-03")).toEqual(
      row("A", "2024-03", 30, [null, null, 100, null], [null, null, "1", null, null, null], [null, null, 500], "??1???", { stat: "DF" }),
    );
    expect((await s.tables()).latest).toEqual([r01]);
    // the flag column holds the tombstone's value, as the engine stores it
    expect(await s.sql(`SELECT CAST(rpt_as_of_mo AS VARCHAR) AS m, acct_stat_cd FROM summary ORDER BY 1`)).toEqual([
      { m: "2024-01-01", acct_stat_cd: "11" },
      { m: "2024-02-01", acct_stat_cd: "DA" },
      { m: "2024-03-01", acct_stat_cd: "DF" },
    ]);
    await expectReference(s);
  });

  it("delete of a month that never had a live record is ignored and creates no row", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10), rec("A", "2024-02", 10, { balance: 200 })]));
    const before = await s.tables();
    // one for a month after A's latest, one for an account that does not exist
    const r = await s.ingest([tomb("A", "2024-06", 20), tomb("B", "2024-01", 20)]);
    ok(r);
    expect(r.counts).toMatchObject({ read: 2, ignoredDeletes: 2, deleteRecords: 0, newAccountRecords: 0, newAccounts: 0, rowsInserted: 0, rowsUpdated: 0 });
    expect(await s.tables()).toEqual(before);
    expect(await s.count(`SELECT count(*) AS n FROM summary WHERE cons_acct_key = 'B' OR acct_stat_cd IN ('DA', 'DF')`)).toBe(0);
    await expectReference(s);

    // the ignored tombstone is still part of V: a later month whose window holds it carries its base_ts (§3)
    ok(await s.ingest([rec("A", "2024-07", 15, { balance: 700, rating: "7" })]));
    expect(await s.row("A", "2024-07")).toEqual(
      row("A", "2024-07", 20, [700, null, null, null], ["7", null, null, null, null, "0"], [1000, null, null], "7????0"),
    );
    await expectReference(s);
  });
});

describe("edge cases", () => {
  it("a new account with 24 months in one batch", async () => {
    const s = scenario();
    const r = await s.ingest(months("A", "2022-01", 24, 10));
    ok(r);
    expect(r.counts).toEqual(counts({ read: 24, newAccountRecords: 24, newAccounts: 1, rowsInserted: 24, latestRowsWritten: 1 }));
    const t = await s.tables();
    expect(t.summary.map((x) => ym(x.mi))).toEqual(Array.from({ length: 24 }, (_, k) => ym(mi("2022-01") + k)));
    expect(t.summary[0]).toEqual(row("A", "2022-01", 10, [10, null, null, null], ["0", null, null, null, null, null], [1000, null, null], "0?????"));
    const last = row("A", "2023-12", 10, [240, 230, 220, 210], ["3", "2", "1", "0", "9", "8"], [1000, 1000, 1000], "321098");
    expect(t.summary[23]).toEqual(last);
    expect(t.latest).toEqual([last]);
    await expectReference(s);
  });

  it("two forward months of one account in one batch chain (in any input order, across a skipped month)", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100, rating: "1" })]));
    const r = await s.ingest([rec("A", "2024-04", 20, { balance: 400, rating: "4" }), rec("A", "2024-02", 20, { balance: 200, rating: "2" })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 2, forwardRecords: 2, rowsInserted: 2, latestRowsWritten: 1 }));
    const r04 = row("A", "2024-04", 20, [400, null, 200, 100], ["4", null, "2", "1", null, null], [1000, null, 1000], "4?21??");
    expect(await s.row("A", "2024-02")).toEqual(row("A", "2024-02", 20, [200, 100, null, null], ["2", "1", null, null, null, null], [1000, 1000, null], "21????"));
    expect(await s.row("A", "2024-04")).toEqual(r04);
    expect((await s.tables()).latest).toEqual([r04]);
    await expectReference(s);
  });

  it("three consecutive backfills in one batch", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100, rating: "1" }), rec("A", "2024-05", 10, { balance: 500, rating: "5" })]));
    const r = await s.ingest([
      rec("A", "2024-03", 20, { balance: 300, rating: "3" }),
      rec("A", "2024-02", 20, { balance: 200, rating: "2" }),
      rec("A", "2024-04", 20, { balance: 400, rating: "4" }),
    ]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 3, backfillRecords: 3, rowsInserted: 3, rowsUpdated: 1, latestRowsWritten: 1 }));
    expect((await s.tables()).summary).toEqual([
      row("A", "2024-01", 10, [100, null, null, null], ["1", null, null, null, null, null], [1000, null, null], "1?????"),
      row("A", "2024-02", 20, [200, 100, null, null], ["2", "1", null, null, null, null], [1000, 1000, null], "21????"),
      row("A", "2024-03", 20, [300, 200, 100, null], ["3", "2", "1", null, null, null], [1000, 1000, 1000], "321???"),
      row("A", "2024-04", 20, [400, 300, 200, 100], ["4", "3", "2", "1", null, null], [1000, 1000, 1000], "4321??"),
      row("A", "2024-05", 20, [500, 400, 300, 200], ["5", "4", "3", "2", "1", null], [1000, 1000, 1000], "54321?"),
    ]);
    await expectReference(s);
  });

  it("a backfill 40 months back with 36-month histories patches only the rows within 35 months after it", async () => {
    const L = 36;
    const s = scenario({ lengths: { balance: L, rating: L, limit: L } });
    // M = 2024-12; rows at M-42, M-38, M-10, M-5, M-4 and M
    const M = mi("2024-12");
    const at = (k: number) => ym(M - k);
    ok(await s.ingest([42, 38, 10, 5, 4, 0].map((k) => rec("A", at(k), 10, { balance: k, rating: String(k % 10) }))));
    const before = await s.tables();
    const r = await s.ingest([rec("A", at(40), 20, { balance: 777, rating: "X" })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, backfillRecords: 1, rowsInserted: 1, rowsUpdated: 3, latestRowsWritten: 1 }));
    const nulls = (n: number) => Array.from({ length: n }, () => null);
    const hist = (cells: Record<number, number>) => Array.from({ length: L }, (_, i) => cells[i] ?? null);
    const get = async (k: number) => {
      const x = await s.row("A", at(k));
      if (!x) throw new Error(`no row for ${at(k)}`);
      return x;
    };
    expect((await get(40)).balance).toEqual(hist({ 0: 777, 2: 42 }));
    expect((await get(40)).ts).toBe(20);
    expect((await get(38)).balance).toEqual(hist({ 0: 38, 2: 777, 4: 42 }));
    expect((await get(10)).balance).toEqual(hist({ 0: 10, 28: 38, 30: 777, 32: 42 }));
    expect((await get(5)).balance).toEqual(hist({ 0: 5, 5: 10, 33: 38, 35: 777 })); // the window's last position
    expect((await get(5)).grid).toBe(`5????0${"?".repeat(27)}8?X`);
    expect([(await get(38)).ts, (await get(10)).ts, (await get(5)).ts]).toEqual([20, 20, 20]);
    // M-4 and M lie 36 and 40 months after the backfill: untouched, base_ts included
    const untouched = before.summary.filter((x) => x.mi === M - 4 || x.mi === M);
    expect([await get(4), await get(0)]).toEqual(untouched);
    expect((await get(4)).balance).toEqual([4, 5, null, null, null, null, 10, ...nulls(27), 38, null]);
    expect((await s.tables()).latest).toEqual(before.latest);
    await expectReference(s);
  });

  it("base_ts: a correction advances base_ts of every later row within the window (the longest history), not beyond", async () => {
    const s = scenario();
    ok(await s.ingest(months("A", "2024-01", 8, 10)));
    const r = await s.ingest([rec("A", "2024-02", 50, { balance: 2222, rating: "Z" })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, backfillRecords: 1, rowsUpdated: 6, latestRowsWritten: 1 }));
    const t = await s.tables();
    // 2024-02 .. 2024-07 span base_ts' 6 months (the rating history's length), 2024-08 is beyond
    expect(t.summary.map((x) => [ym(x.mi), x.ts])).toEqual([
      ["2024-01", 10],
      ["2024-02", 50],
      ["2024-03", 50],
      ["2024-04", 50],
      ["2024-05", 50],
      ["2024-06", 50],
      ["2024-07", 50],
      ["2024-08", 10],
    ]);
    // 2024-07 no longer holds February in its 4-month balance history, but its 6-month ratings do
    const r07 = t.summary.find((x) => x.mi === mi("2024-07"));
    expect(r07?.balance).toEqual([70, 60, 50, 40]);
    expect(r07?.rating).toEqual(["6", "5", "4", "3", "2", "Z"]);
    expect(t.latest.map((x) => [ym(x.mi), x.ts])).toEqual([["2024-08", 10]]);
    await expectReference(s);
  });

  it("a correction of the latest month rewrites the latest row", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100, rating: "1" }), rec("A", "2024-02", 10, { balance: 200, rating: "2" })]));
    const r = await s.ingest([rec("A", "2024-02", 20, { balance: 250, rating: "7", limit: -1 })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, backfillRecords: 1, rowsUpdated: 1, latestRowsWritten: 1 }));
    const r02 = row("A", "2024-02", 20, [250, 100, null, null], ["7", "1", null, null, null, null], [null, 1000, null], "71????");
    expect(await s.row("A", "2024-02")).toEqual(r02);
    expect((await s.tables()).latest).toEqual([r02]);
    await expectReference(s);
  });

  it("a delete of the latest month: latest_summary falls back to the previous live month; a later forward month skips it", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { balance: 100, rating: "1" }),
        rec("A", "2024-02", 10, { balance: 200, rating: "2" }),
        rec("A", "2024-03", 10, { balance: 300, rating: "3" }),
      ]),
    );
    const r02 = (await s.tables()).summary.find((x) => x.mi === mi("2024-02"));
    const r = await s.ingest([tomb("A", "2024-03", 20)]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, deleteRecords: 1, rowsUpdated: 1, latestRowsWritten: 1 }));
    expect((await s.tables()).latest).toEqual([r02]);
    expect(await s.row("A", "2024-03")).toEqual(
      row("A", "2024-03", 20, [null, 200, 100, null], [null, "2", "1", null, null, null], [null, 1000, 1000], "?21???", { stat: "DA" }),
    );
    await expectReference(s);

    const f = await s.ingest([rec("A", "2024-04", 30, { balance: 400, rating: "4" })]);
    ok(f);
    expect(f.counts).toMatchObject({ read: 1, forwardRecords: 1, rowsInserted: 1 });
    const r04 = row("A", "2024-04", 30, [400, null, 200, 100], ["4", null, "2", "1", null, null], [1000, null, 1000], "4?21??");
    expect(await s.row("A", "2024-04")).toEqual(r04);
    expect((await s.tables()).latest).toEqual([r04]);
    await expectReference(s);
  });

  it("mappers: the -1 credit limit sentinel becomes NULL; a present NULL balance becomes 0 while a missing month stays NULL", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { balance: null, limit: -1 }),
        rec("A", "2024-03", 10, { balance: -1, limit: 0 }),
      ]),
    );
    expect(await s.row("A", "2024-03")).toEqual(
      row("A", "2024-03", 10, [-1, null, 0, null], ["0", null, "0", null, null, null], [0, null, null], "0?0???"),
    );
    expect(
      await s.sql(`SELECT credit_limit_history[1] AS l0, credit_limit_history[3] AS l2, balance_history[3] AS b2, balance_history[2] AS b1
                   FROM summary WHERE rpt_as_of_mo = DATE '2024-03-01'`),
    ).toEqual([{ l0: "0", l2: null, b2: 0, b1: null }]);
    await expectReference(s);
  });

  it("VARCHAR account keys with 'YYYY-MM' months keep their text (leading zeros included)", async () => {
    const s = scenario({ monthKind: "yyyy-mm", accountKind: "VARCHAR" });
    ok(await s.ingest([rec("0042", "2024-01", 10), rec("42", "2024-03", 10, { balance: 3 })]));
    ok(await s.ingest([rec("0042", "2024-03", 20, { balance: 300 }), rec("0042", "2024-02", 20, { balance: 200 })]));
    expect(
      await s.sql(`SELECT cons_acct_key AS a, rpt_as_of_mo AS m, typeof(cons_acct_key) AS ta, typeof(rpt_as_of_mo) AS tm,
                          balance_history AS b FROM summary ORDER BY a, m`),
    ).toEqual([
      { a: "0042", m: "2024-01", ta: "VARCHAR", tm: "VARCHAR", b: [100, null, null, null] },
      { a: "0042", m: "2024-02", ta: "VARCHAR", tm: "VARCHAR", b: [200, 100, null, null] },
      { a: "0042", m: "2024-03", ta: "VARCHAR", tm: "VARCHAR", b: [300, 200, 100, null] },
      { a: "42", m: "2024-03", ta: "VARCHAR", tm: "VARCHAR", b: [3, null, null, null] },
    ]);
    expect(await s.sql(`SELECT cons_acct_key AS a, rpt_as_of_mo AS m FROM latest_summary ORDER BY a`)).toEqual([
      { a: "0042", m: "2024-03" },
      { a: "42", m: "2024-03" },
    ]);
    await expectReference(s);
  });

  it("integer account keys with YYYYMM months stay integers", async () => {
    const s = scenario({ monthKind: "yyyymm", accountKind: "BIGINT" });
    ok(await s.ingest([rec("42", "2023-12", 10), rec("7", "2024-01", 10)]));
    ok(await s.ingest([rec("42", "2024-01", 20, { balance: 200 }), rec("7", "2023-11", 20, { balance: 50 })]));
    expect(
      await s.sql(`SELECT cons_acct_key AS a, rpt_as_of_mo AS m, typeof(cons_acct_key) AS ta, typeof(rpt_as_of_mo) AS tm,
                          balance_history AS b FROM summary ORDER BY a, m`),
    ).toEqual([
      { a: "7", m: 202311, ta: "BIGINT", tm: "INTEGER", b: [50, null, null, null] },
      { a: "7", m: 202401, ta: "BIGINT", tm: "INTEGER", b: [100, null, 50, null] },
      { a: "42", m: 202312, ta: "BIGINT", tm: "INTEGER", b: [100, null, null, null] },
      { a: "42", m: 202401, ta: "BIGINT", tm: "INTEGER", b: [200, 100, null, null] },
    ]);
    await expectReference(s);
  });

  it("the grid column is one character a month, '?' for NULL, exactly history_length long", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10, { rating: "1" }),
        rec("A", "2024-02", 10, { rating: null }),
        rec("A", "2024-03", 10, { rating: "c" }),
        rec("A", "2024-04", 10, { rating: "x" }),
        rec("A", "2024-06", 10, { rating: "ab" }),
      ]),
    );
    expect(await s.sql(`SELECT strftime(rpt_as_of_mo, '%Y-%m') AS m, rating_history AS h, rating_grid AS g FROM summary ORDER BY m`)).toEqual([
      { m: "2024-01", h: ["1", null, null, null, null, null], g: "1?????" },
      { m: "2024-02", h: [null, "1", null, null, null, null], g: "?1????" },
      { m: "2024-03", h: ["C", null, "1", null, null, null], g: "C?1???" },
      { m: "2024-04", h: ["X", "C", null, "1", null, null], g: "XC?1??" },
      { m: "2024-06", h: ["AB", null, "X", "C", null, "1"], g: "A?XC?1" },
    ]);
    await expectReference(s);
  });

  it("a forward month after a gap longer than the history: all NULL but element 0", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100, rating: "1", limit: 500 })]));
    const r = await s.ingest([rec("A", "2025-01", 20, { balance: 200, rating: "2", limit: 600 })]);
    ok(r);
    expect(r.counts).toEqual(counts({ read: 1, forwardRecords: 1, rowsInserted: 1, latestRowsWritten: 1 }));
    const r2501 = row("A", "2025-01", 20, [200, null, null, null], ["2", null, null, null, null, null], [600, null, null], "2?????");
    expect(await s.row("A", "2025-01")).toEqual(r2501);
    expect((await s.tables()).latest).toEqual([r2501]);
    await expectReference(s);
  });
});

describe("de-duplication", () => {
  it("inside one batch the greatest base_ts wins; on equal base_ts the later record wins, counted as a conflict", async () => {
    const s = scenario();
    const r = await s.ingest([
      rec("A", "2024-01", 30, { balance: 1 }),
      rec("A", "2024-01", 10, { balance: 2 }),
      rec("A", "2024-01", 30, { balance: 3 }),
    ]);
    ok(r);
    expect(r.counts).toEqual(
      counts({ read: 3, duplicates: 2, equalTimestampConflicts: 1, newAccountRecords: 1, newAccounts: 1, rowsInserted: 1, latestRowsWritten: 1 }),
    );
    expect((await s.row("A", "2024-01"))?.balance).toEqual([3, null, null, null]);
    await expectReference(s);
  });

  it("across batches, on equal base_ts the later batch wins", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10, { balance: 100 }), rec("A", "2024-02", 10, { balance: 200 })]));
    const r = await s.ingest([rec("A", "2024-01", 10, { balance: 111 })]);
    ok(r);
    expect(r.counts).toMatchObject({ read: 1, staleRecords: 0, backfillRecords: 1 });
    expect((await s.row("A", "2024-02"))?.balance).toEqual([200, 111, null, null]);
    await expectReference(s);
  });

  it("a forward month with an older base_ts than the latest row carries the window's greatest base_ts", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 50, { balance: 100 })]));
    const r = await s.ingest([rec("A", "2024-02", 20, { balance: 200 })]);
    ok(r);
    expect(r.counts).toMatchObject({ read: 1, forwardRecords: 1, rowsInserted: 1 });
    expect(await s.row("A", "2024-02")).toMatchObject({ ts: 50, balance: [200, 100, null, null] });
    await expectReference(s);
  });
});

describe("idempotency", () => {
  it("running again with no new files ingests nothing and changes nothing", async () => {
    const s = scenario();
    ok(await s.ingest([rec("A", "2024-01", 10), rec("A", "2024-02", 10), rec("B", "2024-02", 10)]));
    const before = await s.tables();
    const again = await s.runOnly();
    ok(again);
    expect(again.counts).toEqual(counts({}));
    expect(await s.tables()).toEqual(before);
    expect(await s.sql(`SELECT status, CAST(count(*) AS INTEGER) AS n FROM _sp.runs GROUP BY status`)).toEqual([{ status: "succeeded", n: 2 }]);
    await expectReference(s);
  });

  it("a changed file (same path, new content) is ingested again", async () => {
    const s = scenario();
    const first = [rec("A", "2024-01", 10, { balance: 100 }), rec("A", "2024-02", 10, { balance: 200 })];
    ok(await s.ingest(first));
    const file = fs.readdirSync(s.ws.inbox);
    expect(file).toEqual(["batch_00001.csv"]);
    // rewrite the same file: a correction of February and a new month
    const second = [rec("A", "2024-02", 20, { balance: 222 }), rec("A", "2024-03", 20, { balance: 300 })];
    s.ws.batches = 0;
    const r = await s.ingest(second);
    expect(fs.readdirSync(s.ws.inbox)).toEqual(["batch_00001.csv"]);
    ok(r);
    expect(r.counts).toMatchObject({ read: 2, backfillRecords: 1, forwardRecords: 1 });
    expect((await s.row("A", "2024-03"))?.balance).toEqual([300, 222, 100, null]);
    await expectReference(s);
    // and once more unchanged: nothing
    expect((await s.runOnly()).counts.read).toBe(0);
    // back to its first content, which the manifest still lists: a change all the same, read again
    s.ws.batches = 0;
    const back = await s.ingest(first);
    ok(back);
    expect(back.counts).toMatchObject({ read: 2, staleRecords: 1 });
    await expectReference(s);
    expect((await s.runOnly()).counts.read).toBe(0);
  });
});

describe("dry run", () => {
  it("on an empty workspace plans an initial build and creates no table", async () => {
    const s = scenario();
    writeBatch(s.ws, [rec("A", "2024-01", 10), rec("A", "2024-02", 10), rec("B", "2024-02", 10)]);
    const dry = await s.runOnly({ dryRun: true });
    ok(dry);
    expect(dry.mode).toBe("initial");
    expect(dry.plan?.counts).toMatchObject({ read: 3, newAccountRecords: 3, newAccounts: 2 });
    expect(dry.plan?.months.map((m) => [m.month, m.records])).toEqual([
      ["2024-01", 1],
      ["2024-02", 2],
    ]);
    expect(await s.sql(`SELECT schema_name || '.' || table_name AS t FROM duckdb_tables()
                        WHERE schema_name <> '_sp' OR regexp_matches(table_name, '^(work_|stage_|records|tail)')`)).toEqual([]);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.runs`)).toBe(0);
  });

  it("returns the plan with counts per case and affected months, and writes nothing", async () => {
    const s = scenario();
    ok(
      await s.ingest([
        rec("A", "2024-01", 10),
        rec("A", "2024-02", 10),
        rec("A", "2024-03", 10),
        rec("B", "2024-01", 10),
        rec("B", "2024-02", 10),
        rec("D", "2024-01", 10),
      ]),
    );
    const before = await s.tables();
    const runsBefore = await s.sql(`SELECT run_id, status FROM _sp.runs ORDER BY seq`);
    const manifestBefore = await s.count(`SELECT count(*) AS n FROM _sp.manifest`);
    const batch = [
      rec("A", "2024-02", 20, { balance: 222 }), // backfill (correction)
      rec("B", "2024-03", 20), // forward
      rec("C", "2024-02", 20), // new account
      rec("D", "2024-01", 5), // stale
      tomb("B", "2024-01", 20), // delete
      tomb("D", "2024-05", 20), // ignored delete
    ];
    const file = writeBatch(s.ws, batch);
    fs.appendFileSync(file, "Q,2024-02-15,2020-01-01 00:00:20,11,A,abc,0,1000\n"); // quarantined: balance is not an Integer

    const dry = await s.runOnly({ dryRun: true });
    ok(dry);
    expect(dry.dryRun).toBe(true);
    const planCounts = {
      read: 7,
      quarantined: 1,
      duplicates: 0,
      equalTimestampConflicts: 0,
      newAccountRecords: 1,
      forwardRecords: 1,
      backfillRecords: 1,
      staleRecords: 1,
      deleteRecords: 1,
      ignoredDeletes: 1,
      newAccounts: 1,
    };
    expect(dry.plan?.counts).toEqual(planCounts);
    expect(dry.counts).toEqual(counts(planCounts));
    expect(dry.plan?.months).toEqual([
      { month: "2024-01", records: 2, newAccount: 0, forward: 0, backfill: 0, delete: 1, stale: 1 },
      { month: "2024-02", records: 2, newAccount: 1, forward: 0, backfill: 1, delete: 0, stale: 0 },
      { month: "2024-03", records: 1, newAccount: 0, forward: 1, backfill: 0, delete: 0, stale: 0 },
      { month: "2024-05", records: 1, newAccount: 0, forward: 0, backfill: 0, delete: 1, stale: 0 },
    ]);
    expect(dry.plan?.accounts.total).toBe(4);

    // nothing written: tables, quarantine, runs, manifest, and no leftover state tables
    expect(await s.tables()).toEqual(before);
    expect(await s.count(`SELECT count(*) AS n FROM quarantine`)).toBe(0);
    expect(await s.sql(`SELECT run_id, status FROM _sp.runs ORDER BY seq`)).toEqual(runsBefore);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.runs`)).toBe(1);
    expect(await s.count(`SELECT count(*) AS n FROM _sp.manifest`)).toBe(manifestBefore);
    expect(await s.sql(`SELECT table_name FROM duckdb_tables() WHERE regexp_matches(table_name, '^(work_|stage_)|__build_')`)).toEqual([]);

    // the real run does what the plan said
    const real = await s.runOnly({}, batch);
    ok(real);
    expect(real.counts).toMatchObject(planCounts);
    expect(await s.count(`SELECT count(*) AS n FROM quarantine`)).toBe(1);
    await expectReference(s);
  });
});

describe("partitioning", () => {
  it("with many buckets, every case in one batch still equals the reference", async () => {
    const s = scenario();
    s.ws.config = { ...s.ws.config, partitioning: { target_rows_per_partition: 1, max_partitions: 8 } };
    const accounts = ["A", "B", "C", "D", "E", "F", "G", "H"];
    ok(await s.ingest(accounts.flatMap((a, k) => [rec(a, "2024-01", 10, { balance: k }), rec(a, "2024-03", 10, { balance: 10 + k })])));
    const r = await s.ingest([
      ...accounts.map((a, k) => rec(a, "2024-04", 20, { balance: 40 + k })), // forward
      rec("A", "2024-02", 20, { balance: 99 }), // backfill
      rec("B", "2024-01", 20, { balance: 98 }), // correction
      tomb("C", "2024-03", 20), // delete
      rec("D", "2024-03", 5), // stale
      rec("Z", "2024-02", 20), // new account
    ]);
    ok(r);
    expect(r.plan?.buckets.count).toBe(8);
    expect(r.plan?.buckets.rows.length).toBeGreaterThan(1);
    expect(r.counts).toMatchObject({ read: 13, forwardRecords: 8, backfillRecords: 2, deleteRecords: 1, staleRecords: 1, newAccountRecords: 1 });
    await expectReference(s);
  });
});

// keep `months` helper shape honest: balance 10·(k+1), rating k mod 10
it("scenario helper: months()", () => {
  expect(months("A", "2024-11", 3, 7).map((r) => [ym(r.mi), r.balance, r.rating, r.ts])).toEqual([
    ["2024-11", 10, "0", 7],
    ["2024-12", 20, "1", 7],
    ["2025-01", 30, "2", 7],
  ]);
});
