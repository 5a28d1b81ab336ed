// Invariant checks: sound tables pass; each kind of corruption is found; a run whose tables break
// an invariant fails and is not committed.
import { afterAll, describe, expect, it } from "vitest";
import { openEngineFor, runPipeline } from "../src/pipeline/run";
import { checkInvariants } from "../src/pipeline/invariants";
import type { RefRecord } from "./reference";
import { disposeWorkspace, makeWorkspace, writeBatch, type Workspace } from "./harness";

const M = 2023 * 12;
const rec = (acct: string, mi: number, ts: number, balance: number): RefRecord => ({
  acct, mi, ts, stat: "11", typ: "A", balance, rating: "1", limit: 10,
});

describe("invariants", () => {
  const spaces: Workspace[] = [];
  afterAll(async () => {
    for (const ws of spaces) await disposeWorkspace(ws);
  });

  it("passes sound tables and finds each kind of corruption", async () => {
    const ws = makeWorkspace({ name: "inv" });
    spaces.push(ws);
    writeBatch(ws, [rec("a", M, 1, 1), rec("a", M + 1, 2, 2), rec("a", M + 3, 3, 3), rec("b", M, 1, 9)]);
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    const conn = await (await openEngineFor(ws.config)).connect();
    try {
      expect(await checkInvariants(conn, ws.config)).toEqual([]);
      const corrupt = async (sql: string, check: RegExp) => {
        await conn.run("BEGIN TRANSACTION");
        await conn.run(sql);
        const v = await checkInvariants(conn, ws.config);
        await conn.run("ROLLBACK");
        expect(v.map((x) => x.check).join("; ")).toMatch(check);
      };
      await corrupt(`UPDATE summary SET balance_history = [7, 1, NULL, NULL] WHERE cons_acct_key = 'a' AND month(rpt_as_of_mo) = 2`, /history\[i\]/);
      await corrupt(`UPDATE summary SET balance_history = [2, 1, NULL] WHERE cons_acct_key = 'a' AND month(rpt_as_of_mo) = 2`, /array length/);
      await corrupt(`UPDATE summary SET rating_grid = 'X?????' WHERE cons_acct_key = 'b'`, /grid/);
      await corrupt(`INSERT INTO summary SELECT * FROM summary WHERE cons_acct_key = 'b'`, /duplicate/);
      await corrupt(`UPDATE latest_summary SET balance_history = [0, NULL, NULL, NULL] WHERE cons_acct_key = 'b'`, /latest_summary differs/);
      await corrupt(`DELETE FROM latest_summary WHERE cons_acct_key = 'b'`, /no latest_summary row/);
    } finally {
      conn.closeSync();
    }
  });

  it("fails a run whose tables break an invariant, without committing it", async () => {
    const ws = makeWorkspace({ name: "inv-run" });
    spaces.push(ws);
    writeBatch(ws, [rec("a", M, 1, 1)]);
    await runPipeline({ config: ws.config });
    writeBatch(ws, [rec("a", M + 1, 2, 2)]);
    const engine = await openEngineFor(ws.config);
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    // now break the latest row behind the engine's back and run again: the forward month shifts
    // it, and the check of the rows the run wrote catches it
    const conn = await engine.connect();
    await conn.run(`UPDATE latest_summary SET rating_grid = 'Z' WHERE cons_acct_key = 'a'`);
    conn.closeSync();
    writeBatch(ws, [rec("a", M + 2, 3, 3)]);
    const bad = await runPipeline({ config: ws.config });
    expect(bad.status).toBe("failed");
    expect(bad.errorCode).toBe("INVARIANT");
    expect(bad.error).toMatch(/grid/);
  });

  it("fails a correction whose rewritten rows disagree with the untouched row below them", async () => {
    const ws = makeWorkspace({ name: "inv-full" });
    spaces.push(ws);
    writeBatch(ws, [rec("a", M, 1, 1), rec("a", M + 1, 2, 2), rec("a", M + 2, 3, 3)]);
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    const engine = await openEngineFor(ws.config);
    const conn = await engine.connect();
    // element 1 of the first month's row is wrong; the correction of the second month keeps that row
    await conn.run(`UPDATE summary SET balance_history = [1, 99, NULL, NULL] WHERE cons_acct_key = 'a' AND month(rpt_as_of_mo) = 1`);
    conn.closeSync();
    writeBatch(ws, [rec("a", M + 1, 5, 20)]);
    const bad = await runPipeline({ config: ws.config });
    expect(bad.status).toBe("failed");
    expect(bad.errorCode).toBe("INVARIANT");
    expect(bad.error).toMatch(/rewritten rows/);
  });
});
