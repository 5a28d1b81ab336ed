// The stats service (CLI --stats and the dashboard's tables page) and the account inspector.
import os from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { openEngineFor } from "../src/pipeline/run";
import { inspectAccount } from "../src/pipeline/inspect/account";
import { collectStats } from "../src/pipeline/stats/stats";
import { disposeWorkspace, makeWorkspace, run, writeBatch, type Workspace } from "./harness";
import type { RefRecord } from "./reference";

const M = 2023 * 12;
const rec = (acct: string, mi: number, ts: number, balance: number, stat = "11"): RefRecord => ({
  acct,
  mi,
  ts,
  stat,
  typ: "A",
  balance,
  rating: "1",
  limit: 100,
});

describe("stats and inspector", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
  });

  it("reports rows, accounts, months, partitions, NULL density and runs; inspects provenance per month", async () => {
    const ws = makeWorkspace({ name: "stats" });
    spaces.push(ws);
    writeBatch(ws, [rec("a", M, 10, 1), rec("a", M + 1, 20, 2), rec("b", M + 1, 20, 5)]);
    const first = await run(ws);
    writeBatch(ws, [rec("a", M + 3, 40, 4), rec("a", M, 50, 9)]); // a forward month with a gap, and a correction
    const second = await run(ws);
    expect(second.status).toBe("succeeded");

    const engine = await openEngineFor(ws.config);
    const conn = await engine.connect();
    try {
      const stats = await collectStats(conn, ws.config);
      const summary = stats.tables.find((t) => t.name === "summary");
      expect(summary).toMatchObject({ exists: true, rows: 4, accounts: 2, firstMonth: "2023-01", lastMonth: "2023-04" });
      expect(stats.tables.find((t) => t.name === "latest_summary")?.rows).toBe(2);
      expect(stats.partitions?.rows.reduce((a, p) => a + p.rows, 0)).toBe(4);
      const balance = stats.nullDensity.find((d) => d.column === "balance_history");
      expect(balance?.density).toHaveLength(4);
      expect(balance?.density[0]).toBe(0); // every row has its own month
      expect(stats.runs.map((r) => r.runId)).toEqual([second.runId, first.runId]);
      expect(stats.runs[0]?.counts.backfillRecords).toBe(1);
      expect(stats.runs[0]?.timings.total).toBe(second.timings.total);

      // a run left running by a process that is gone (kill -9) shows interrupted, not running
      await conn.run(`UPDATE _sp.runs SET status = 'running', owner = '${os.hostname()}:${2 ** 22 + 17}' WHERE run_id = '${first.runId}'`);
      await conn.run(`UPDATE _sp.runs SET status = 'running', owner = '${os.hostname()}:${process.pid}' WHERE run_id = '${second.runId}'`);
      expect((await collectStats(conn, ws.config)).runs.map((r) => [r.runId, r.status])).toEqual([
        [second.runId, "running"],
        [first.runId, "interrupted"],
      ]);
      await conn.run(`UPDATE _sp.runs SET status = 'succeeded' WHERE run_id IN ('${first.runId}', '${second.runId}')`);

      const h = await inspectAccount(conn, ws.config, "a");
      expect(h.found).toBe(true);
      expect(h.rows.map((r) => r.month)).toEqual(["2023-04", "2023-02", "2023-01"]);
      expect(h.latest?.month).toBe("2023-04");
      expect(h.latest?.arrays.balance).toEqual([4, null, 2, 9]);
      const byMonth = Object.fromEntries(h.provenance.map((p) => [p.month, p]));
      expect(byMonth["2023-01"]).toMatchObject({ runId: second.runId, kase: "backfill" });
      expect(byMonth["2023-02"]).toMatchObject({ runId: first.runId, kase: "new" });
      expect(byMonth["2023-04"]?.runId).toBe(second.runId);

      expect((await inspectAccount(conn, ws.config, "nobody")).found).toBe(false);
      // input is a bound value, never SQL
      expect((await inspectAccount(conn, ws.config, "a' OR '1'='1")).found).toBe(false);
    } finally {
      conn.closeSync();
    }
  });
});
