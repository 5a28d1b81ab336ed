// Random records and batch splits for the property tests (SPEC §3): a few accounts, 15 months,
// repeated timestamps, NULLs, delete flags and sentinel values.
import fc from "fast-check";
import type { RefRecord } from "./reference";

export const BASE_MI = 2021 * 12;

export const recordArb = (accounts: string[]) =>
  fc.record({
    acct: fc.constantFrom(...accounts),
    mi: fc.integer({ min: BASE_MI, max: BASE_MI + 14 }),
    ts: fc.integer({ min: 0, max: 12 }).map((x) => x * 3600),
    stat: fc.oneof({ arbitrary: fc.constant("11"), weight: 6 }, { arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fc.constantFrom("DA", "DF"), weight: 2 }),
    typ: fc.constantFrom("A", "B", null),
    balance: fc.oneof(fc.integer({ min: -5, max: 500 }), fc.constant(null)),
    rating: fc.constantFrom("0", "1", "c", "X", " ", null),
    limit: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 900 }), fc.constant(null)),
  }) as fc.Arbitrary<RefRecord>;

/** Records split into 1–4 batches at random cut points. */
export const batchesArb = (accounts: string[]) =>
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

