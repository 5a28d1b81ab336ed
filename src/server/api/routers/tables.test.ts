import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeWorkspace, makeWorkspace, run, writeBatch, type Workspace } from "../../../../test/harness";
import type { RefRecord } from "../../../../test/reference";
import { createCaller } from "../root";
import { createTRPCContext } from "../trpc";

const M = 2024 * 12;
const rec = (acct: string, mi: number, ts: number, balance: number | null): RefRecord => ({
  acct,
  mi,
  ts,
  stat: "11",
  typ: "A",
  balance,
  rating: "1",
  limit: 100,
});

/** Points the server at a harness workspace: its config written as the file PIPELINE_CONFIG names. */
function serve(ws: Workspace): void {
  const file = path.join(ws.dir, "pipeline_config.json");
  fs.writeFileSync(file, JSON.stringify(ws.config, null, 2));
  process.env.PIPELINE_CONFIG = file;
  process.env.DATABASE_URL = `file:${path.join(ws.dir, "control.db")}`;
}

async function caller() {
  return createCaller(await createTRPCContext({ headers: new Headers() }));
}

describe("tables.stats", () => {
  const saved = { config: process.env.PIPELINE_CONFIG, url: process.env.DATABASE_URL };
  const spaces: Workspace[] = [];
  let filled: Workspace;
  let runIds: string[];

  beforeAll(async () => {
    filled = makeWorkspace({ name: "tables-router" });
    spaces.push(filled);
    writeBatch(filled, [rec("a", M, 10, 1), rec("a", M + 1, 20, 2), rec("b", M + 1, 20, null), rec("c", M + 2, 20, 7)]);
    const first = await run(filled);
    writeBatch(filled, [rec("a", M + 3, 40, 4), rec("b", M, 50, 9)]); // a forward month with a gap, and a late month
    const second = await run(filled);
    runIds = [second.runId, first.runId];
  });

  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
    for (const [key, value] of [["PIPELINE_CONFIG", saved.config], ["DATABASE_URL", saved.url]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("reports tables, partitions, NULL density and recent runs", async () => {
    serve(filled);
    const stats = await (await caller()).tables.stats();
    expect(stats.hasSummary).toBe(true);
    expect(stats.summaryTable).toBe("summary");
    expect(stats.configPath).toBe(path.join(filled.dir, "pipeline_config.json"));
    expect(stats.tables.map((t) => t.name)).toEqual(["summary", "latest_summary", "quarantine"]);
    expect(stats.tables[0]).toMatchObject({ exists: true, rows: 6, accounts: 3, firstMonth: "2024-01", lastMonth: "2024-04" });
    expect(stats.tables[1]).toMatchObject({ exists: true, rows: 3, accounts: 3 });

    const partitions = stats.partitions;
    expect(partitions).not.toBeNull();
    if (!partitions) return;
    expect(partitions.rows).toHaveLength(partitions.partitions);
    expect(partitions.rows.reduce((sum, p) => sum + p.rows, 0)).toBe(6);
    expect(partitions.mean).toBeCloseTo(6 / partitions.partitions);
    expect(partitions.skew).toBeCloseTo(partitions.max / partitions.mean, 2);

    // one series per rolling column, as long as its history
    expect(stats.nullDensity.map((d) => [d.column, d.density.length])).toEqual([
      ["balance_history", 4],
      ["rating_history", 6],
      ["credit_limit_history", 3],
    ]);
    for (const d of stats.nullDensity) {
      expect(d.sampleRows).toBe(6);
      expect(d.density[0]).toBe(0); // every row has its own month
      for (const share of d.density) expect(share).toBeGreaterThanOrEqual(0);
    }

    expect(stats.runs.map((r) => r.runId)).toEqual(runIds);
    expect(stats.runs[0]).toMatchObject({ status: "succeeded", counts: expect.objectContaining({ backfillRecords: 1, forwardRecords: 1 }) });
    // phase timings as the engine recorded them (the phases that ran before the final commit)
    expect(Object.keys(stats.runs[0]?.timings ?? {})).toEqual(expect.arrayContaining(["classify", "execute"]));
  });

  it("shares one collection between requests that arrive together", async () => {
    serve(filled);
    const c = await caller();
    const [a, b, d] = await Promise.all([c.tables.stats(), c.tables.stats(), c.tables.stats()]);
    expect(b).toBe(a);
    expect(d).toBe(a);
    // a later request collects afresh
    expect(await c.tables.stats()).not.toBe(a);
  });

  it("says there is no summary yet on a database no run has written", async () => {
    const empty = makeWorkspace({ name: "tables-router-empty" });
    spaces.push(empty);
    serve(empty);
    const stats = await (await caller()).tables.stats();
    expect(stats.hasSummary).toBe(false);
    expect(stats.tables.find((t) => t.name === "summary")).toMatchObject({ exists: false, rows: 0 });
    expect(stats.partitions).toBeNull();
    expect(stats.nullDensity).toEqual([]);
    expect(stats.runs).toEqual([]);
  });
});
