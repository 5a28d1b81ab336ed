// Named regressions found by the property test; each failed before its fix.
import { afterAll, describe, expect, it } from "vitest";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";

const M = 2022 * 12;
const r = (acct: string, mi: number, ts: number, stat: string | null, balance: number | null = 1, rating: string | null = "0"): RefRecord => ({
  acct,
  mi,
  ts,
  stat,
  typ: "B",
  balance,
  rating,
  limit: null,
});

async function check(batches: RefRecord[][], spaces: Workspace[]): Promise<void> {
  const ws = makeWorkspace({ name: "regress" });
  spaces.push(ws);
  for (const b of batches) {
    writeBatch(ws, b);
    const res = await run(ws);
    expect(res.error ?? "").toBe("");
  }
  const expected = referenceTables(batches, REF_CONFIG);
  const got = await readTables(ws);
  expect(sortRows(got.summary)).toEqual(expected.summary);
  expect(sortRows(got.latest)).toEqual(expected.latest);
}

describe("regressions", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
  });

  it("a stale live record still creates the row of a month whose record in force is a row-less tombstone", async () => {
    await check([[r("a", M + 1, 7200, "DA"), r("a", M + 4, 0, "11")], [r("a", M + 1, 0, null, 34)]], spaces);
  });

  it("a rating that maps to an empty string takes the placeholder in the grid, which stays aligned with the array", async () => {
    // upper(trim('  ')) = '': the grid's character for it was '' (no character), shifting every later month
    await check([[r("a", M, 0, "11", 1, "a"), r("a", M + 1, 10, "11", 1, "  "), r("a", M + 2, 20, "11", 1, "c")]], spaces);
    await check([[r("b", M, 0, "11", 1, "a")], [r("b", M + 1, 10, "11", 1, "  ")], [r("b", M + 2, 20, "11", 1, "c")], [r("b", M + 1, 30, "11", 1, " ")]], spaces);
  });

  it("a backfill far behind the latest month keeps latest_summary on the newest month", async () => {
    await check([[r("a", M, 0, "11"), r("a", M + 14, 10, "11")], [r("a", M + 2, 20, "11")]], spaces);
  });
});
