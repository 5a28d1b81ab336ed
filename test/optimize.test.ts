// Optimization: tables rewritten in order with the same content, bytes reported, refused while a
// run holds the database, and run automatically every n successful runs (counted across runs).
import { afterAll, describe, expect, it } from "vitest";
import { optimizePipeline, runPipeline } from "../src/pipeline/run";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, writeBatch, type Workspace } from "./harness";

const M = 2023 * 12;
const batch = (k: number): RefRecord[] =>
  Array.from({ length: 30 }, (_, i) => ({
    acct: `a${i % 7}`,
    mi: M + k * 2 + (i % 3),
    ts: k * 1000 + i,
    stat: i % 11 === 0 ? "DA" : "11",
    typ: "A",
    balance: i * k,
    rating: String(i % 3),
    limit: 5,
  }));

describe("optimize", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
  });

  it("keeps the tables equal, reports bytes, and is refused while a run holds the database", async () => {
    const ws = makeWorkspace({ name: "opt" });
    spaces.push(ws);
    ws.config.optimization.auto_every_n_runs = 0;
    const batches = [batch(1), batch(2)];
    for (const b of batches) {
      writeBatch(ws, b);
      await runPipeline({ config: ws.config });
    }
    const before = await readTables(ws);
    const r = await optimizePipeline(ws.config);
    expect(r.bytesBefore).toBeGreaterThan(0);
    expect(r.bytesAfter).toBeGreaterThan(0);
    // the data's blocks within the file's, which does not shrink
    expect(r.fileBytesBefore).toBeGreaterThanOrEqual(r.bytesBefore);
    expect(r.fileBytesAfter).toBeGreaterThanOrEqual(r.bytesAfter);
    expect(r.tables.map((t) => t.name)).toEqual(["summary", "latest_summary", "_sp.records"]);
    const after = await readTables(ws);
    expect(after).toEqual(before);
    const expected = referenceTables(batches, REF_CONFIG);
    expect(sortRows(after.summary)).toEqual(expected.summary);
    // an incremental run after optimize still works
    writeBatch(ws, batch(3));
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    expect(sortRows((await readTables(ws)).summary)).toEqual(referenceTables([...batches, batch(3)], REF_CONFIG).summary);

    let release: () => void = () => undefined;
    const gate = new Promise<void>((res) => (release = res));
    writeBatch(ws, batch(4));
    const running = runPipeline({ config: ws.config, hooks: { beforeBucketCommit: () => gate } });
    await new Promise((res) => setTimeout(res, 300));
    await expect(optimizePipeline(ws.config)).rejects.toMatchObject({ code: "LOCKED" });
    release();
    expect((await running).status).toBe("succeeded");
  });

  it("runs automatically every auto_every_n_runs successful runs, counting across runs", async () => {
    const ws = makeWorkspace({ name: "autoopt" });
    spaces.push(ws);
    ws.config.optimization.auto_every_n_runs = 2;
    const logs: string[] = [];
    for (let k = 1; k <= 4; k++) {
      writeBatch(ws, batch(k));
      const r = await runPipeline({ config: ws.config, onEvent: (e) => e.type === "log" && logs.push(e.message) });
      expect(r.status).toBe("succeeded");
    }
    expect(logs.filter((m) => m.startsWith("optimized the tables"))).toHaveLength(2);
  });
});
