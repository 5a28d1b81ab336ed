// runs.rollback through createCaller on a temp control database and a temp engine database holding a
// generated source and three dashboard runs: the last run rolled back (tables, Run row, audit trail),
// a second try refused, the refusal while a run holds the database, a chain back to the first run,
// and the role and input checks.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openControlDb } from "@/control/db";
import { loadConfigFile } from "@/pipeline/config/load";
import { openEngine, queryOne } from "@/pipeline/engine/duckdb";
import { generateSource } from "@/pipeline/generate/generate";
import { launchRun } from "@/server/services/runs";
import { startTestServer, type TestServer } from "../testing";

let server: TestServer;

beforeAll(async () => {
  server = startTestServer("runs-rollback-", (doc) => {
    doc.engine = { ...(doc.engine as object), threads: 1 };
  });
  // months in the past, so the appended ones are not in the future
  await generateSource(loadConfigFile(server.configPath), { accounts: 40, months: 3, seed: 5, start: "2024-01" });
});

afterAll(async () => {
  await server.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

/** Polls runs.get until the run has left `running`. */
async function waitForEnd(id: string, timeoutMs = 90_000) {
  const caller = await server.caller("viewer");
  const t0 = Date.now();
  for (;;) {
    const run = await caller.runs.get({ id });
    if (run.status !== "running" && run.status !== "queued" && !run.live) return run;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Launches a run from the dashboard and waits for it to succeed. */
async function completedRun(): Promise<string> {
  const out = await (await server.caller("operator")).runs.launch({ mode: "incremental", dryRun: false });
  const run = await waitForEnd(out.runId);
  expect(run.error).toBeNull();
  expect(run.status).toBe("succeeded");
  return run.id;
}

async function appendMonth(): Promise<void> {
  await generateSource(loadConfigFile(server.configPath), { append: true, seed: 5 });
}

async function summaryRows(): Promise<number> {
  const engine = await openEngine({ database: server.engineDatabase });
  const conn = await engine.connect();
  try {
    const t = await queryOne(conn, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'summary'");
    if (Number(t?.n ?? 0) === 0) return 0;
    return Number((await queryOne(conn, "SELECT count(*) AS n FROM summary"))?.n ?? 0);
  } finally {
    conn.closeSync();
  }
}

function rollbackEvents(level: "warn" | "error") {
  return server.db.auditEvent.findMany({ where: { type: "run.rollback", level }, orderBy: { id: "asc" } });
}

describe("runs.rollback", () => {
  const ids: string[] = [];
  const rowsAfter: number[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      if (i > 0) await appendMonth();
      ids.push(await completedRun());
      rowsAfter.push(await summaryRows());
    }
    // each run added rows, so a restored count tells the runs apart
    expect(rowsAfter[0]).toBeGreaterThan(0);
    expect(rowsAfter[1]).toBeGreaterThan(rowsAfter[0] ?? 0);
    expect(rowsAfter[2]).toBeGreaterThan(rowsAfter[1] ?? 0);
  });

  it("is refused to a viewer, the denial audited, and nothing changes", async () => {
    const last = ids[2] ?? "";
    for (const kind of ["viewer", "bad-token"] as const) {
      const before = await server.db.auditEvent.count({ where: { type: "auth.denied" } });
      const err = await errorOf((await server.caller(kind)).runs.rollback({ runId: last }));
      expect(err.code).toBe("FORBIDDEN");
      expect(err.message).toContain("operator role");
      const denials = await server.db.auditEvent.findMany({ where: { type: "auth.denied" }, orderBy: { id: "desc" } });
      expect(denials).toHaveLength(before + 1);
      expect(denials[0]?.message).toContain("runs.rollback");
    }
    expect(await rollbackEvents("warn")).toHaveLength(0);
    expect(await rollbackEvents("error")).toHaveLength(0);
    expect(await summaryRows()).toBe(rowsAfter[2]);
    expect((await server.db.run.findUnique({ where: { id: last } }))?.status).toBe("succeeded");
  });

  it("rejects a malformed run id before anything runs", async () => {
    const op = await server.caller("operator");
    for (const runId of ["nope", "DEADBEEF", "deadbeef0", "../../etc"]) {
      const err = await errorOf(op.runs.rollback({ runId }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toContain("a run id is 8 lowercase hex characters");
    }
    expect(await rollbackEvents("error")).toHaveLength(0);
  });

  it("is refused while a dashboard run holds the engine database, naming it; the refusal is audited", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let reached: () => void = () => undefined;
    const inFirstBucket = new Promise<void>((r) => (reached = r));
    let commits = 0;
    // nothing new to read: a one-month append gives the held run a bucket to stop in
    await appendMonth();
    const held = await launchRun(
      {
        controlDb: () => openControlDb(),
        hooks: {
          beforeBucketCommit: async () => {
            if (commits++ === 0) {
              reached();
              await gate;
            }
          },
        },
      },
      { mode: "incremental", dryRun: false, actor: "test" },
    );
    await inFirstBucket;
    try {
      const err = await errorOf((await server.caller("operator")).runs.rollback({ runId: ids[2] ?? "" }));
      expect(err.code).toBe("CONFLICT");
      expect(err.message).toContain(`held by run ${held.runId}`);
      const refused = await rollbackEvents("error");
      expect(refused.map((e) => e.message)).toEqual([`rollback of run ${ids[2]} refused: ${err.message}`]);
      expect(refused[0]?.actor).toBe("operator (dashboard)");
    } finally {
      release();
    }
    const run = await waitForEnd(held.runId);
    expect(run.status).toBe("succeeded");
    ids.push(run.id);
    rowsAfter.push(await summaryRows());
    expect(rowsAfter[3]).toBeGreaterThan(rowsAfter[2] ?? 0);
  });

  it("rolls back the last run: the tables as before it, the run marked rolled back, the rollback audited", async () => {
    const last = ids[3] ?? "";
    const op = await server.caller("operator");
    const result = await op.runs.rollback({ runId: last });
    expect(result.runs).toEqual([{ runId: last, mode: "incremental", status: "succeeded" }]);
    expect(result.summaryRows).toEqual({ before: rowsAfter[3], after: rowsAfter[2] });
    expect(result.accounts).toBeGreaterThan(0);
    expect(await summaryRows()).toBe(rowsAfter[2]);

    const run = await op.runs.get({ id: last });
    expect(run.status).toBe("rolled_back");
    expect(run.phase).toBe("rolled back");
    expect(run.events.at(-1)).toMatchObject({ type: "run.rollback", level: "warn", actor: "operator (dashboard)", message: `rolled back run ${last}` });
    const [event] = await rollbackEvents("warn");
    expect(JSON.parse(event?.data ?? "null")).toMatchObject({ trigger: "dashboard", runs: [{ runId: last }], summaryRows: result.summaryRows });
    // the runs before it are untouched
    expect((await op.runs.get({ id: ids[2] ?? "" })).status).toBe("succeeded");
  });

  it("refuses to roll back the same run twice, saying so", async () => {
    const last = ids[3] ?? "";
    const err = await errorOf((await server.caller("operator")).runs.rollback({ runId: last }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toBe(`run ${last} is already rolled back`);
    expect((await rollbackEvents("error")).at(-1)?.message).toBe(`rollback of run ${last} refused: run ${last} is already rolled back`);
    expect(await summaryRows()).toBe(rowsAfter[2]);
  });

  it("refuses a run the engine database does not know", async () => {
    const err = await errorOf((await server.caller("operator")).runs.rollback({ runId: "deadbeef" }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toContain("no run deadbeef");
  });

  it("rolls back an earlier run together with every later one not rolled back yet, newest first", async () => {
    const [first, second, third, fourth] = ids;
    const op = await server.caller("operator");
    const result = await op.runs.rollback({ runId: second ?? "" });
    expect(result.runs.map((r) => r.runId)).toEqual([third, second]);
    expect(result.summaryRows).toEqual({ before: rowsAfter[2], after: rowsAfter[0] });
    expect(await summaryRows()).toBe(rowsAfter[0]);
    const statuses = await server.db.run.findMany({ select: { id: true, status: true } });
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).toEqual({
      [first ?? ""]: "succeeded",
      [second ?? ""]: "rolled_back",
      [third ?? ""]: "rolled_back",
      [fourth ?? ""]: "rolled_back",
    });
    expect((await rollbackEvents("warn")).at(-1)).toMatchObject({ runId: second, message: `rolled back runs ${third}, ${second} (newest first, back to ${second})` });
  });
});
