import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeWorkspace, makeWorkspace, run, writeBatch, type Workspace } from "../../../../test/harness";
import type { RefRecord } from "../../../../test/reference";
import { createCaller } from "../root";
import { createTRPCContext } from "../trpc";

const M = 2024 * 12;
const rec = (acct: string, mi: number, ts: number, balance: number, stat = "11"): RefRecord => ({
  acct,
  mi,
  ts,
  stat,
  typ: "A",
  balance,
  rating: String(balance % 10),
  limit: 100,
});

describe("inspector.account", () => {
  const saved = { config: process.env.PIPELINE_CONFIG, url: process.env.DATABASE_URL };
  let ws: Workspace;
  let first: string;
  let second: string;

  beforeAll(async () => {
    ws = makeWorkspace({ name: "inspector-router", accountKind: "BIGINT" });
    writeBatch(ws, [rec("1001", M, 10, 1), rec("1001", M + 3, 10, 4), rec("1002", M + 1, 10, 5)]);
    first = (await run(ws)).runId;
    // a late month for 1001 and a tombstone for its latest month
    writeBatch(ws, [rec("1001", M + 1, 20, 2), rec("1001", M + 3, 30, 4, "DA")]);
    second = (await run(ws)).runId;
    const file = path.join(ws.dir, "pipeline_config.json");
    fs.writeFileSync(file, JSON.stringify(ws.config, null, 2));
    process.env.PIPELINE_CONFIG = file;
    process.env.DATABASE_URL = `file:${path.join(ws.dir, "control.db")}`;
  });

  afterAll(async () => {
    await disposeWorkspace(ws);
    for (const [key, value] of [["PIPELINE_CONFIG", saved.config], ["DATABASE_URL", saved.url]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  async function inspect(account: string) {
    return (await createCaller(await createTRPCContext({ headers: new Headers() }))).inspector.account({ account });
  }

  it("returns an account's rows newest first, its latest live row and each month's provenance", async () => {
    const h = await inspect(" 1001 ");
    expect(h.found).toBe(true);
    expect(h.account).toBe("1001");
    expect(h.rows.map((r) => [r.month, r.live, r.deleteFlag])).toEqual([
      ["2024-04", false, "DA"],
      ["2024-02", true, "11"],
      ["2024-01", true, "11"],
    ]);
    // the tombstone moves latest_summary back to the newest live month
    expect(h.latest?.month).toBe("2024-02");
    expect(h.latest?.arrays.balance).toEqual([2, 1, null, null]);
    expect(h.rows[0]?.arrays.balance).toEqual([null, null, 2, 1]);
    expect(h.latest?.grids.rating_grid).toBe("21????");
    expect(h.gridPlaceholders).toEqual({ rating_grid: "?" });
    expect(h.rolling.map((r) => [r.name, r.historyLength])).toEqual([
      ["balance", 4],
      ["rating", 6],
      ["credit_limit", 3],
    ]);
    const byMonth = Object.fromEntries(h.provenance.map((p) => [p.month, p]));
    expect(byMonth["2024-01"]).toMatchObject({ runId: first, kase: "new", tombstone: false });
    expect(byMonth["2024-02"]).toMatchObject({ runId: second, kase: "backfill", tombstone: false });
    expect(byMonth["2024-04"]).toMatchObject({ runId: second, kase: "delete", tombstone: true });
  });

  it("answers found:false for an unknown account", async () => {
    const h = await inspect("999999");
    expect(h).toMatchObject({ found: false, account: "999999", rows: [], latest: null, provenance: [] });
  });

  it("rejects a key an integer-keyed table cannot hold with a readable BAD_REQUEST", async () => {
    const err = await inspect("abc' OR 1=1 --").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^account keys are integers here; "abc' OR 1=1 --" is not one$/) });
  });

  it("validates the input before it reaches the engine", async () => {
    for (const account of ["", "   ", "9".repeat(201)]) {
      await expect(inspect(account)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
  });
});
