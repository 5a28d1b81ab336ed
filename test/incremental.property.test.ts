// Property: for random accounts, months, gaps, late data, corrections, stale duplicates, deletes
// and random batch splits, incremental == initial == reference (SPEC §3). PROPERTY_RUNS=5000 runs
// thousands locally; CI runs the default.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";
import type { MonthKind } from "../src/pipeline/sql/months";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const BASE_MI = 2021 * 12;

const recordArb = (accounts: string[]) =>
  fc.record({
    acct: fc.constantFrom(...accounts),
    mi: fc.integer({ min: BASE_MI, max: BASE_MI + 14 }),
    ts: fc.integer({ min: 0, max: 12 }).map((x) => x * 3600),
    stat: fc.oneof({ arbitrary: fc.constant("11"), weight: 6 }, { arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fc.constantFrom("DA", "DF"), weight: 2 }),
    typ: fc.constantFrom("A", "B", null),
    balance: fc.oneof(fc.integer({ min: -5, max: 500 }), fc.constant(null)),
    rating: fc.constantFrom("0", "1", "c", "X", null),
    limit: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 900 }), fc.constant(null)),
  }) as fc.Arbitrary<RefRecord>;

/** Records split into 1–4 batches at random cut points. */
const batchesArb = (accounts: string[]) =>
  fc
    .tuple(fc.array(recordArb(accounts), { minLength: 1, maxLength: 28 }), fc.array(fc.integer({ min: 0, max: 28 }), { maxLength: 3 }))
    .map(([records, cuts]) => {
      const points = [...new Set(cuts.map((c) => Math.min(c, records.length)))].sort((a, b) => a - b);
      const out: RefRecord[][] = [];
      let start = 0;
      for (const p of [...points, records.length]) {
        if (p > start) out.push(records.slice(start, p));
        start = Math.max(start, p);
      }
      return out.length ? out : [records];
    });

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
