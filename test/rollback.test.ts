// Rollback (SPEC §8, issue #6): random runs, roll back the last k, and the tables equal the
// reference built from the remaining batches; running the rolled-back batches again gives the
// reference of all of them (so the hidden state — record index, trailing tombstones, manifest — was
// restored too). Plus: partial failed runs, initial rebuilds in the chain, expiry, table sources.
import fs from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { closeEngine, openEngine, queryRows } from "../src/pipeline/engine/duckdb";
import { optimizePipeline, rollbackPipeline, runPipeline } from "../src/pipeline/run";
import { batchesArb } from "./arbitraries";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, run, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefRecord } from "./reference";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

async function expectTablesOf(ws: Workspace, batches: RefRecord[][], what: string): Promise<void> {
  const expected = referenceTables(batches, REF_CONFIG);
  const got = await readTables(ws);
  expect(sortRows(got.summary), `${what}: summary`).toEqual(expected.summary);
  expect(sortRows(got.latest), `${what}: latest`).toEqual(expected.latest);
}

async function engineRows(ws: Workspace, sql: string): Promise<Record<string, unknown>[]> {
  const engine = await openEngine({ database: ws.database });
  const conn = await engine.connect();
  try {
    return await queryRows(conn, sql);
  } finally {
    conn.closeSync();
  }
}

interface Case {
  batches: RefRecord[][];
  /** how many of the last runs to roll back (1..n) */
  k: number;
  /** runs (by index > 0) made as initial rebuilds over all files so far */
  initialAt: number[];
}

const caseArb = fc
  .tuple(batchesArb(["7", "A1", "0042"]), batchesArb(["7", "A1", "0042"]), fc.nat(), fc.array(fc.nat(), { maxLength: 2 }))
  .map(([a, b, k, inits]): Case => {
    const batches = [...a, ...b];
    return {
      batches,
      k: 1 + (k % batches.length),
      initialAt: [...new Set(inits.map((i) => i % batches.length))].filter((i) => i > 0),
    };
  });

async function checkRollback(c: Case, spaces: Workspace[]): Promise<void> {
  const ws = makeWorkspace({ name: "rb" });
  spaces.push(ws);
  try {
    const runIds: string[] = [];
    const files: string[] = [];
    for (const [i, b] of c.batches.entries()) {
      files.push(writeBatch(ws, b));
      const r = await run(ws, c.initialAt.includes(i) ? { mode: "initial" } : {});
      expect(r.error ?? "", `run ${i}`).toBe("");
      runIds.push(r.runId);
    }
    const keep = c.batches.length - c.k;
    const target = runIds[keep];
    if (!target) throw new Error("no target run");
    const rb = await rollbackPipeline(ws.config, target);
    expect(rb.runs.map((r) => r.runId)).toEqual(runIds.slice(keep).reverse());
    await expectTablesOf(ws, c.batches.slice(0, keep), `after rolling back ${c.k}`);
    // the files of the rolled-back runs are new again to the manifest: remove them, then bring them back
    for (const f of files.slice(keep)) fs.renameSync(f, `${f}.held`);
    for (const f of files.slice(keep)) {
      fs.renameSync(`${f}.held`, f);
      const r = await run(ws);
      expect(r.error ?? "", "re-run").toBe("");
    }
    await expectTablesOf(ws, c.batches, "after running the rolled-back batches again");
  } finally {
    await disposeWorkspace(ws);
  }
}

describe("rollback", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
  });

  it(`restores the tables of the remaining batches for ${Math.ceil(RUNS / 4)} random run sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => checkRollback(c, spaces)),
      { numRuns: Math.ceil(RUNS / 4), endOnFailure: true },
    );
  }, 1_800_000);

  const M = 2023 * 12;
  const rec = (acct: string, mi: number, ts: number, balance: number, stat: string | null = "11"): RefRecord => ({
    acct,
    mi,
    ts,
    stat,
    typ: "A",
    balance,
    rating: "1",
    limit: 10,
  });

  it("rolls back a failed run's committed buckets, and refuses runs already rolled back", async () => {
    const ws = makeWorkspace({ name: "rbfail" });
    spaces.push(ws);
    const b1 = Array.from({ length: 40 }, (_, i) => rec(`a${i}`, M, 1, i));
    writeBatch(ws, b1);
    expect((await run(ws)).status).toBe("succeeded");
    ws.config.partitioning.target_rows_per_partition = 5; // many buckets
    const b2 = Array.from({ length: 40 }, (_, i) => rec(`a${i}`, i % 2 ? M + 1 : M, 2, 100 + i));
    writeBatch(ws, b2);
    let commits = 0;
    const failed = await run(ws, {
      hooks: {
        beforeBucketCommit: () => {
          if (++commits === 3) throw new Error("disk full (injected)");
        },
      },
    });
    expect(failed.status).toBe("failed");
    const rb = await rollbackPipeline(ws.config, failed.runId);
    expect(rb.runs).toEqual([{ runId: failed.runId, mode: "incremental", status: "failed" }]);
    await expectTablesOf(ws, [b1], "after rolling back the failed run");
    await expect(rollbackPipeline(ws.config, failed.runId)).rejects.toMatchObject({ code: "RUN_STATE" });
    await expect(rollbackPipeline(ws.config, "ffffffff")).rejects.toMatchObject({ code: "RUN_STATE" });
    const again = await run(ws);
    expect(again.status).toBe("succeeded");
    await expectTablesOf(ws, [b1, b2], "after running the batch again");
  });

  it("expires undo data beyond undo_retention_runs at optimize, and then refuses to roll back so far", async () => {
    const ws = makeWorkspace({ name: "rbexp" });
    spaces.push(ws);
    ws.config.optimization.auto_every_n_runs = 0;
    ws.config.optimization.undo_retention_runs = 2;
    const ids: string[] = [];
    const batches: RefRecord[][] = [];
    for (let k = 0; k < 4; k++) {
      const b = [rec("x", M + k, k, k), rec("y", M + 3 - k, k, 10 * k)];
      batches.push(b);
      writeBatch(ws, b);
      ids.push((await run(ws)).runId);
    }
    const opt = await optimizePipeline(ws.config);
    expect(opt.undoExpired.sort()).toEqual([ids[0], ids[1]].sort());
    await expect(rollbackPipeline(ws.config, ids[1] ?? "")).rejects.toThrow(/expired/);
    const rb = await rollbackPipeline(ws.config, ids[2] ?? "");
    expect(rb.runs.map((r) => r.runId)).toEqual([ids[3], ids[2]]);
    expect(rb.accounts).toBe(2); // x and y, each restored by both runs (it said 4)
    await expectTablesOf(ws, batches.slice(0, 2), "after rolling back two");
    const left = await engineRows(ws, `SELECT table_name FROM duckdb_tables() WHERE table_name <> 'undo_runs' AND table_name LIKE 'undo\\_%' ESCAPE '\\' OR table_name LIKE '%\\_\\_undo\\_%' ESCAPE '\\'`);
    expect(left).toEqual([]);
    // a later run that cannot go is named as the reason (the message named it as if it were the one asked for)
    const later: string[] = [];
    for (const k of [4, 5]) {
      writeBatch(ws, [rec("x", M + k, k, k)]);
      later.push((await run(ws)).runId);
    }
    await engineRows(ws, `UPDATE _sp.undo_runs SET expired = TRUE WHERE run_id = '${later[1]}'`);
    await expect(rollbackPipeline(ws.config, later[0] ?? "")).rejects.toThrow(
      `run ${later[0]} cannot be rolled back without the later run ${later[1]}, which has expired undo data (optimization.undo_retention_runs); it cannot be rolled back`,
    );
  });

  it("rolling back to before the first run counts each account once", async () => {
    // the distinct count was taken only when a summary table was left
    const ws = makeWorkspace({ name: "rbfirst" });
    spaces.push(ws);
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      writeBatch(ws, [rec("x", M + k, k, k), rec("y", M + k, k, k)]);
      ids.push((await run(ws)).runId);
    }
    const rb = await rollbackPipeline(ws.config, ids[0] ?? "");
    expect(rb.runs.map((r) => r.runId)).toEqual([...ids].reverse());
    expect(rb.accounts).toBe(2);
    await expectTablesOf(ws, [], "after rolling back every run");
  });

  it("restores a table source's watermark and the quarantine", async () => {
    const ws = makeWorkspace({ name: "rbtable" });
    spaces.push(ws);
    await closeEngine(ws.database);
    const engine = await openEngine({ database: ws.database });
    const conn = await engine.connect();
    await conn.run(`CREATE TABLE src (cons_acct_key VARCHAR, rpt_as_of_mo VARCHAR, base_ts TIMESTAMP, acct_stat_cd VARCHAR,
      acct_type_cd VARCHAR, balance_am INTEGER, payment_rating_cd VARCHAR, credit_limit_am BIGINT)`);
    await conn.run(`INSERT INTO src VALUES ('a', '2023-01-05', '2024-01-01 00:00:00', '11', 'A', 1, '1', 5)`);
    conn.closeSync();
    ws.config.source = { kind: "table", name: "src" };
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    const c2 = await engine.connect();
    await c2.run(`INSERT INTO src VALUES ('a', '2023-02-05', '2024-02-01 00:00:00', '11', 'A', 2, '1', 5),
      (NULL, '2023-02-05', '2024-02-01 00:00:00', '11', 'A', 3, '1', 5)`);
    c2.closeSync();
    const r2 = await runPipeline({ config: ws.config });
    expect(r2.status).toBe("succeeded");
    expect(r2.counts.quarantined).toBe(1);
    const wm = async () => (await engineRows(ws, `SELECT CAST(ts AS VARCHAR) AS ts FROM _sp.watermark`)).map((r) => r.ts);
    expect(await wm()).toEqual(["2024-02-01 00:00:00"]);
    await rollbackPipeline(ws.config, r2.runId);
    expect(await wm()).toEqual(["2024-01-01 00:00:00"]);
    expect(await engineRows(ws, `SELECT * FROM quarantine WHERE run_id = '${r2.runId}'`)).toEqual([]);
    expect((await readTables(ws)).summary.map((r) => r.mi)).toEqual([M]);
    // the next run reads the rolled-back rows again
    const r3 = await runPipeline({ config: ws.config });
    expect(r3.counts.quarantined).toBe(1);
    expect((await readTables(ws)).summary.map((r) => r.mi)).toEqual([M, M + 1]);
  });
});
