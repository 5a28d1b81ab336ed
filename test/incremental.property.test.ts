// Property: for random accounts, months, gaps, late data, corrections, stale duplicates, deletes
// and random batch splits, incremental == initial == reference (SPEC §3). PROPERTY_RUNS=5000 runs
// thousands locally; CI runs the default.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";
import type { MonthKind } from "../src/pipeline/sql/months";
import { batchesArb } from "./arbitraries";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

async function checkCase(batches: RefRecord[][], monthKind: MonthKind, accountKind: "BIGINT" | "VARCHAR", workspaces: Workspace[]): Promise<void> {
  const expected = referenceTables(batches, REF_CONFIG);
  const inc = makeWorkspace({ monthKind, accountKind, name: "inc" });
  const all = makeWorkspace({ monthKind, accountKind, name: "all" });
  workspaces.push(inc, all);
  try {
    for (const b of batches) {
      writeBatch(inc, b);
      const r = await run(inc);
      expect(r.error ?? "", "incremental run").toBe("");
      expect(r.status).toBe("succeeded");
    }
    for (const b of batches) writeBatch(all, b);
    const r = await run(all, { mode: "initial" });
    expect(r.error ?? "", "initial run").toBe("");
    const gotInc = await readTables(inc);
    const gotAll = await readTables(all);
    expect(sortRows(gotInc.summary), "incremental summary == reference").toEqual(expected.summary);
    expect(sortRows(gotInc.latest), "incremental latest == reference").toEqual(expected.latest);
    expect(sortRows(gotAll.summary), "initial summary == reference").toEqual(expected.summary);
    expect(sortRows(gotAll.latest), "initial latest == reference").toEqual(expected.latest);
  } finally {
    await disposeWorkspace(inc);
    await disposeWorkspace(all);
  }
}

describe("incremental == initial == reference", () => {
  const workspaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of workspaces) await disposeWorkspace(ws);
  });

  it(`holds for ${RUNS} random batch sequences (text keys, DATE months)`, async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb(["7", "A1", "0042"]), (batches) => checkCase(batches, "date", "VARCHAR", workspaces)),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 1_800_000);

  it(`holds for ${Math.ceil(RUNS / 4)} random batch sequences (integer keys, YYYYMM months)`, async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb(["1", "22", "333"]), (batches) => checkCase(batches, "yyyymm", "BIGINT", workspaces)),
      { numRuns: Math.ceil(RUNS / 4), endOnFailure: true },
    );
  }, 1_800_000);

  it(`holds for ${Math.ceil(RUNS / 4)} random batch sequences (text keys, 'YYYY-MM' months)`, async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb(["k1", "k2"]), (batches) => checkCase(batches, "yyyy-mm", "VARCHAR", workspaces)),
      { numRuns: Math.ceil(RUNS / 4), endOnFailure: true },
    );
  }, 1_800_000);
});
