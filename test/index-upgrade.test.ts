// An engine database written before the record index held each record's payload: its index (and
// the index rows an earlier run kept as undo data, beside the summary rows it saved) is filled in
// at the next run, which then equals the reference, or at a rollback; rolling back to before the
// run whose undo data is in the old format gives the reference of the batches left.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { closeEngine, execute, openEngine, queryRows } from "../src/pipeline/engine/duckdb";
import { rollbackPipeline } from "../src/pipeline/run";
import { batchesArb } from "./arbitraries";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefRecord } from "./reference";

const RUNS = Math.max(10, Math.floor(Number(process.env.PROPERTY_RUNS ?? 200) / 8));

async function withEngine<T>(ws: Workspace, fn: (sql: (q: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const engine = await openEngine({ database: ws.database });
  const conn = await engine.connect();
  try {
    return await fn(async (q) => {
      await execute(conn, "SELECT 1");
      return queryRows(conn, q);
    });
  } finally {
    conn.closeSync();
  }
}

/** Turns an index table into the old format: no values, no row flag, a live record's scalars and flag not kept. */
async function toOldFormat(sql: (q: string) => Promise<unknown>, table: string, columns: string[]): Promise<void> {
  for (const c of columns.filter((c) => c.startsWith("v_") || c === "rx")) await sql(`ALTER TABLE _sp."${table}" DROP COLUMN "${c}"`);
  const payload = columns.filter((c) => /^s\d+$/.test(c) || c === "dflag");
  await sql(`UPDATE _sp."${table}" SET ${payload.map((c) => `${c} = NULL`).join(", ")} WHERE NOT tomb`);
}

async function expectTablesOf(ws: Workspace, batches: RefRecord[][], what: string): Promise<void> {
  const expected = referenceTables(batches, REF_CONFIG);
  const got = await readTables(ws);
  expect(sortRows(got.summary), `${what}: summary`).toEqual(expected.summary);
  expect(sortRows(got.latest), `${what}: latest`).toEqual(expected.latest);
}

describe("record index upgrade", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await closeEngine(ws.database);
  });

  it("fills an old-format index and old undo data, then runs and rolls back to the reference", async () => {
    const arb = fc.tuple(batchesArb(["7", "A1", "0042"]), batchesArb(["7", "A1", "0042"]), batchesArb(["7", "A1"]), fc.boolean());
    await fc.assert(
      fc.asyncProperty(arb, async ([before, last, next, runNext]) => {
        const ws = makeWorkspace({ name: "upg" });
        spaces.push(ws);
        try {
          for (const b of before) {
            writeBatch(ws, b);
            expect((await run(ws)).error ?? "").toBe("");
          }
          // the tables before the last old-format run: its saved summary rows are cut from them
          await withEngine(ws, async (sql) => {
            await sql(`DROP TABLE IF EXISTS _sp.snapshot`);
            const has = await sql(`SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'summary'`);
            if (has.length) await sql(`CREATE TABLE _sp.snapshot AS SELECT * FROM summary`);
          });
          const merged = last.flat();
          writeBatch(ws, merged);
          const lastRun = await run(ws);
          expect(lastRun.error ?? "").toBe("");
          await withEngine(ws, async (sql) => {
            const cols = (t: string) =>
              sql(`SELECT column_name AS c FROM duckdb_columns() WHERE schema_name = '_sp' AND table_name = '${t}'`).then((r) => r.map((x) => String(x.c)));
            await toOldFormat(sql, "records", await cols("records"));
            const undo = `undo_${lastRun.runId}_records`;
            const undoCols = await cols(undo);
            if (undoCols.length) {
              await toOldFormat(sql, undo, undoCols);
              const snap = await sql(`SELECT 1 FROM duckdb_tables() WHERE schema_name = '_sp' AND table_name = 'snapshot'`);
              await sql(
                snap.length
                  ? `CREATE TABLE _sp."undo_${lastRun.runId}_summary" AS SELECT s.* FROM _sp.snapshot s JOIN _sp."undo_${lastRun.runId}_ranges" f
                     ON f.acct = s.cons_acct_key AND (year(s.rpt_as_of_mo) * 12 + month(s.rpt_as_of_mo) - 1) BETWEEN f.lo AND f.hi`
                  : `CREATE TABLE _sp."undo_${lastRun.runId}_summary" AS SELECT * FROM summary LIMIT 0`,
              );
            }
            await sql(`DROP TABLE IF EXISTS _sp.snapshot`);
          });
          if (runNext) {
            // the next run upgrades the index, then equals the reference
            writeBatch(ws, next.flat());
            const r = await run(ws);
            expect(r.error ?? "").toBe("");
            await expectTablesOf(ws, [...before, merged, next.flat()], "after the upgrading run");
            const rx = await withEngine(ws, (sql) => sql(`SELECT count(*) AS n FROM _sp.records WHERE rx IS NULL`));
            expect(Number(rx[0]?.n)).toBe(0);
            // rolling back both: the upgraded run's own undo data and the old-format run's
            const rb = await rollbackPipeline(ws.config, lastRun.runId);
            expect(rb.runs.map((x) => x.runId)).toEqual([r.runId, lastRun.runId]);
          } else {
            // a rollback straight away upgrades the index itself
            const rb = await rollbackPipeline(ws.config, lastRun.runId);
            expect(rb.runs.map((x) => x.runId)).toEqual([lastRun.runId]);
          }
          await expectTablesOf(ws, before, "after rolling back");
        } finally {
          await disposeWorkspace(ws);
        }
      }),
      { numRuns: RUNS, seed: 20261127 },
    );
  }, 600_000);
});
