// The runs API through createCaller on a temp control database and a temp engine database holding a
// generated source: launch → finish, dry run, one writer, cancel, failure and resume, the role
// matrix of every runs/auth procedure, and the route handler's refusal of cross-site POSTs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalConfigJson, configHash } from "@/control/config-versions";
import { closeControlDb, openControlDb } from "@/control/db";
import { loadConfigFile } from "@/pipeline/config/load";
import { closeEngine, openEngine, queryOne } from "@/pipeline/engine/duckdb";
import { generateSource } from "@/pipeline/generate/generate";
import { launchRun, resetFaultInjection, whenRunEnds } from "@/server/services/runs";
import { createCaller } from "../root";
import { createTRPCContext } from "../trpc";

const TOKEN = "runs-router-test-operator-token";
const saved = {
  config: process.env.PIPELINE_CONFIG,
  url: process.env.DATABASE_URL,
  token: process.env.OPERATOR_TOKEN,
  faults: process.env.SP_FAULT_INJECTION,
};
let dir: string;
let database: string;

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "runs-router-"));
  database = path.join(dir, "engine", "summary.duckdb");
  const doc = JSON.parse(fs.readFileSync("e2e/fixtures/pipeline_config.json", "utf8")) as {
    engine: { database: string };
    partitioning: { target_rows_per_partition: number };
    resilience: { retry_count: number; backoff_base_ms: number; backoff_max_ms: number };
  };
  doc.engine.database = database;
  doc.partitioning.target_rows_per_partition = 60; // several buckets
  doc.resilience = { ...doc.resilience, retry_count: 1, backoff_base_ms: 1, backoff_max_ms: 5 };
  const configPath = path.join(dir, "pipeline_config.json");
  fs.writeFileSync(configPath, JSON.stringify(doc));
  process.env.PIPELINE_CONFIG = configPath;
  process.env.DATABASE_URL = `file:${path.join(dir, "control.db")}`;
  process.env.OPERATOR_TOKEN = TOKEN;
  delete process.env.SP_FAULT_INJECTION;
  await generateSource(loadConfigFile(configPath), { accounts: 60, months: 6, seed: 7 });
});

afterAll(async () => {
  await closeEngine(database);
  await closeControlDb();
  restore("PIPELINE_CONFIG", saved.config);
  restore("DATABASE_URL", saved.url);
  restore("OPERATOR_TOKEN", saved.token);
  restore("SP_FAULT_INJECTION", saved.faults);
  fs.rmSync(dir, { recursive: true, force: true });
});

type Who = "no token" | "bad token" | "operator";

async function callerAs(who: Who) {
  const headers = new Headers();
  if (who === "bad token") headers.set("authorization", "Bearer not-the-token");
  if (who === "operator") headers.set("cookie", `sp_operator=${encodeURIComponent(TOKEN)}`);
  return createCaller(await createTRPCContext({ headers }));
}

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
  const caller = await callerAs("no token");
  const t0 = Date.now();
  for (;;) {
    const run = await caller.runs.get({ id });
    if (run.status !== "running" && run.status !== "queued" && !run.live) return run;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function summaryRows(): Promise<number | null> {
  const engine = await openEngine({ database });
  const conn = await engine.connect();
  try {
    const t = await queryOne(conn, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'summary'");
    if (Number(t?.n ?? 0) === 0) return null;
    return Number((await queryOne(conn, "SELECT count(*) AS n FROM summary"))?.n ?? 0);
  } finally {
    conn.closeSync();
  }
}

function controlDb() {
  return openControlDb().client;
}

describe("runs", () => {
  it("a dry run returns the plan and writes nothing", async () => {
    const op = await callerAs("operator");
    const out = await op.runs.launch({ mode: "incremental", dryRun: true });
    expect(out.dryRun).toBe(true);
    if (!out.dryRun) return;
    expect(out.plan).not.toBeNull();
    expect(out.plan?.counts.newAccountRecords).toBeGreaterThan(0);
    expect(out.plan?.buckets.count).toBeGreaterThan(1);
    expect(out.plan?.months.length).toBe(6);
    // (rowsToWrite.insert is not asserted: the engine's estimate counts batch-internal live records as existing rows)
    expect(out.plan?.rowsToWrite).toBeDefined();
    expect(await summaryRows()).toBeNull();
    expect(await controlDb().run.count()).toBe(0);
    expect(await op.runs.list({ limit: 10 })).toEqual([]);
  });

  it("launches a run in the background that finishes with its counts, buckets and audit trail", async () => {
    const op = await callerAs("operator");
    const out = await op.runs.launch({ mode: "incremental", dryRun: false });
    expect(out.runId).toMatch(/^[0-9a-f]{8}$/);
    // the run row exists as soon as the launch returns
    const early = await op.runs.get({ id: out.runId });
    expect(early.trigger).toBe("dashboard");
    const run = await waitForEnd(out.runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("succeeded");
    expect(run.mode).toBe("initial"); // an empty summary makes an incremental run initial
    expect(run.counts?.newAccountRecords).toBeGreaterThan(0);
    expect(run.counts?.rowsInserted).toBeGreaterThan(0);
    expect(run.bucketsTotal).toBeGreaterThan(1);
    expect(run.bucketsDone).toBe(run.bucketsTotal);
    expect(run.buckets).toHaveLength(run.bucketsTotal);
    expect(run.buckets.every((b) => b.status === "succeeded" && b.startedAt && b.finishedAt)).toBe(true);
    expect(run.attempts).toHaveLength(run.bucketsTotal);
    expect(run.plan?.buckets.count).toBe(run.bucketsTotal);
    expect(run.timings?.execute).toBeGreaterThanOrEqual(0);
    expect(run.events.map((e) => e.type)).toEqual(["run.start", "run.finish"]);
    expect(await summaryRows()).toBe(run.counts?.rowsInserted);
    // the run records the version holding exactly the config it ran
    const version = await controlDb().configVersion.findUnique({ where: { id: run.configVersion?.id ?? -1 } });
    expect(version?.hash).toBe(configHash(canonicalConfigJson(loadConfigFile(process.env.PIPELINE_CONFIG ?? ""))));
    const list = await op.runs.list({ limit: 10 });
    expect(list.map((r) => r.id)).toEqual([out.runId]);
    expect(await op.runs.list({ limit: 10, status: "failed" })).toEqual([]);
    expect(await op.runs.active()).toBeNull();
  });

  it("refuses a second launch while a run is active, naming it; cancel stops it between buckets; resume completes it", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let reached: () => void = () => undefined;
    const inFirstBucket = new Promise<void>((r) => (reached = r));
    let commits = 0;
    // launched through the service to hold the run inside its first bucket
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
      { mode: "initial", dryRun: false, actor: "test" },
    );
    await inFirstBucket;
    const op = await callerAs("operator");
    const active = await op.runs.active();
    expect(active?.id).toBe(held.runId);
    expect(active?.live).toBe(true);

    const second = await errorOf(op.runs.launch({ mode: "incremental", dryRun: false }));
    expect(second.code).toBe("CONFLICT");
    expect(second.message).toContain(held.runId);

    expect(await op.runs.cancel({ id: held.runId })).toEqual({ runId: held.runId, status: "cancelling" });
    release();
    const cancelled = await waitForEnd(held.runId);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.bucketsDone).toBe(1);
    expect(cancelled.bucketsTotal).toBeGreaterThan(1);
    expect(cancelled.events.map((e) => e.type)).toEqual(["run.start", "run.log", "run.cancel"]);

    // a finished run cannot be cancelled
    expect((await errorOf(op.runs.cancel({ id: held.runId }))).code).toBe("PRECONDITION_FAILED");

    const resumed = await op.runs.resume({ id: held.runId });
    expect(resumed).toEqual({ dryRun: false, runId: held.runId, resumed: true });
    const done = await waitForEnd(held.runId);
    expect(done.status).toBe("succeeded");
    expect(done.resumeCount).toBe(1);
    expect(done.counts?.rowsInserted).toBe(await summaryRows());
    expect(done.bucketsDone).toBe(done.bucketsTotal);
    expect(done.events.map((e) => e.type)).toEqual(["run.start", "run.log", "run.cancel", "run.resume", "run.finish"]);
    // a succeeded run cannot be resumed
    expect((await errorOf(op.runs.resume({ id: held.runId }))).code).toBe("PRECONDITION_FAILED");
  });

  it("a run failing on an injected permanent fault is resumed to success", async () => {
    process.env.SP_FAULT_INJECTION = "permanent-after:1";
    resetFaultInjection();
    try {
      const op = await callerAs("operator");
      const out = await op.runs.launch({ mode: "initial", dryRun: false });
      const failed = await waitForEnd(out.runId);
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/injected permanent fault in bucket \d+/);
      expect(failed.bucketsDone).toBe(1);
      const badAttempts = failed.attempts.filter((a) => !a.ok);
      expect(badAttempts).toHaveLength(1); // permanent: no retry
      expect(badAttempts[0]?.error).toMatch(/injected permanent fault/);
      expect(failed.buckets.filter((b) => b.status === "failed")).toHaveLength(1);
      expect((await op.runs.list({ limit: 5, status: "failed" })).map((r) => r.id)).toEqual([out.runId]);

      // the fault fires once per process: the resume goes through
      await op.runs.resume({ id: out.runId });
      const done = await waitForEnd(out.runId);
      expect(done.error).toBeNull();
      expect(done.status).toBe("succeeded");
      expect(done.buckets.every((b) => b.status === "succeeded")).toBe(true);
      expect(done.attempts.filter((a) => !a.ok)).toHaveLength(1);
      expect(done.attempts.filter((a) => a.ok)).toHaveLength(done.bucketsTotal);
      // the bucket that failed keeps its history; the run's figures cover both executions
      const hit = done.buckets.find((b) => b.failures > 0);
      expect(hit).toMatchObject({ status: "succeeded", attempts: 2, failures: 1, lastError: expect.stringMatching(/injected permanent fault/) as unknown });
      expect(done.counts?.rowsInserted).toBe(await summaryRows());
      expect(done.timings?.read).toBeGreaterThanOrEqual(0); // from the first execution
      expect(done.timings?.finalize).toBeGreaterThanOrEqual(0); // from the resumed one
    } finally {
      delete process.env.SP_FAULT_INJECTION;
    }
  });

  it("a config file edited outside the dashboard is stored as a new inactive version, which the run records", async () => {
    const file = process.env.PIPELINE_CONFIG ?? "";
    const original = fs.readFileSync(file, "utf8");
    const db = controlDb();
    const before = await db.configVersion.findMany({ orderBy: { id: "asc" } });
    const active = before.filter((v) => v.active);
    try {
      const doc = JSON.parse(original) as { resilience: { backoff_max_ms: number } };
      doc.resilience.backoff_max_ms = 7;
      fs.writeFileSync(file, JSON.stringify(doc));
      const op = await callerAs("operator");
      const out = await op.runs.launch({ mode: "incremental", dryRun: false });
      const run = await waitForEnd(out.runId);
      expect(run.status).toBe("succeeded");
      const stored = await db.configVersion.findMany({ where: { id: { notIn: before.map((v) => v.id) } } });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ id: run.configVersion?.id, active: false, author: "operator (dashboard)" });
      expect(stored[0]?.comment).toBe(`used by a run from ${file}`);
      expect(stored[0]?.diff).toMatch(/^-\s*"backoff_max_ms": 5,?$/m);
      expect(stored[0]?.diff).toMatch(/^\+\s*"backoff_max_ms": 7,?$/m);
      expect((await db.configVersion.findMany({ where: { active: true } })).map((v) => v.id)).toEqual(active.map((v) => v.id));
      const audit = await db.auditEvent.findFirst({ where: { type: "config.save" }, orderBy: { id: "desc" } });
      expect(audit?.message).toMatch(new RegExp(`^stored config version ${stored[0]?.id}: used by a run from `));

      // the same document again: the same version, nothing stored
      const again = await waitForEnd((await op.runs.launch({ mode: "incremental", dryRun: false })).runId);
      expect(again.configVersion?.id).toBe(run.configVersion?.id);
      expect(await db.configVersion.count()).toBe(before.length + 1);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("rejects a malformed run id and reports an unknown one as not found", async () => {
    const viewer = await callerAs("no token");
    expect((await errorOf(viewer.runs.get({ id: "../../etc" }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(viewer.runs.get({ id: "deadbeef" }))).code).toBe("NOT_FOUND");
    const op = await callerAs("operator");
    expect((await errorOf(op.runs.resume({ id: "deadbeef" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(op.runs.cancel({ id: "deadbeef" }))).code).toBe("NOT_FOUND");
  });
});

describe("role matrix", () => {
  const callers: Who[] = ["no token", "bad token", "operator"];

  for (const who of callers) {
    it(`${who}: reads are allowed`, async () => {
      const c = await callerAs(who);
      const who2 = await c.auth.whoami();
      expect(who2).toEqual({ role: who === "operator" ? "operator" : "viewer", tokenRejected: who === "bad token" });
      const list = await c.runs.list({ limit: 50 });
      expect(list.length).toBeGreaterThan(0);
      const first = list[0];
      if (!first) throw new Error("no run");
      expect((await c.runs.get({ id: first.id })).id).toBe(first.id);
      expect(await c.runs.active()).toBeNull();
    });
  }

  const mutations = {
    "runs.launch": (c: Awaited<ReturnType<typeof callerAs>>) => c.runs.launch({ mode: "incremental", dryRun: true }),
    "runs.cancel": async (c: Awaited<ReturnType<typeof callerAs>>) => c.runs.cancel({ id: (await firstRunId()) }),
    "runs.resume": async (c: Awaited<ReturnType<typeof callerAs>>) => c.runs.resume({ id: (await firstRunId()) }),
  } as const;

  async function firstRunId(): Promise<string> {
    const row = await controlDb().run.findFirst({ where: { status: "succeeded" } });
    if (!row) throw new Error("no succeeded run");
    return row.id;
  }

  for (const who of ["no token", "bad token"] as const) {
    for (const [procedure, call] of Object.entries(mutations)) {
      it(`${who}: ${procedure} is FORBIDDEN and the denial is audited`, async () => {
        const before = await controlDb().auditEvent.count({ where: { type: "auth.denied" } });
        const err = await errorOf(call(await callerAs(who)));
        expect(err.code).toBe("FORBIDDEN");
        expect(err.message).toContain("operator role");
        const denials = await controlDb().auditEvent.findMany({ where: { type: "auth.denied" }, orderBy: { id: "desc" } });
        expect(denials).toHaveLength(before + 1);
        expect(denials[0]?.message).toContain(procedure);
        expect(denials[0]?.message).toContain(who === "bad token" ? "a wrong operator token" : "no operator token");
      });
    }
  }

  it("operator: every mutation passes the role check", async () => {
    const op = await callerAs("operator");
    const before = await controlDb().auditEvent.count({ where: { type: "auth.denied" } });
    const dry = await op.runs.launch({ mode: "incremental", dryRun: true });
    expect(dry.dryRun).toBe(true);
    // these reach the executor, which refuses them for what the run is, not for who asks
    expect((await errorOf(mutations["runs.cancel"](op))).code).toBe("PRECONDITION_FAILED");
    expect((await errorOf(mutations["runs.resume"](op))).code).toBe("PRECONDITION_FAILED");
    expect(await controlDb().auditEvent.count({ where: { type: "auth.denied" } })).toBe(before);
  });
});

describe("the tRPC route handler", () => {
  async function post(headers: Record<string, string>, body = JSON.stringify({ mode: "incremental", dryRun: true })) {
    const { POST } = await import("@/app/api/trpc/[trpc]/route");
    return POST(new Request("http://localhost:3000/api/trpc/runs.launch", { method: "POST", headers: { host: "localhost:3000", ...headers }, body }));
  }

  it("refuses a cross-origin POST with 403, before any procedure runs", async () => {
    const before = await controlDb().auditEvent.count();
    const res = await post({ origin: "http://evil.example", "content-type": "application/json", authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain("cross-origin");
    const events = await controlDb().auditEvent.findMany({ orderBy: { id: "desc" }, take: 1 });
    expect(await controlDb().auditEvent.count()).toBe(before + 1);
    expect(events[0]).toMatchObject({ type: "auth.denied" });
  });

  it("refuses a POST that is not JSON with 415", async () => {
    const res = await post({ origin: "http://localhost:3000", "content-type": "text/plain", authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(415);
  });

  it("accepts a same-origin JSON POST from the operator", async () => {
    const res = await post({ origin: "http://localhost:3000", "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, JSON.stringify({ json: { mode: "incremental", dryRun: true } }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: { dryRun: boolean } } } };
    expect(body.result.data.json.dryRun).toBe(true);
  });

  it("answers a viewer's POST with FORBIDDEN", async () => {
    const res = await post({ origin: "http://localhost:3000", "content-type": "application/json" }, JSON.stringify({ json: { mode: "incremental", dryRun: true } }));
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain("needs the operator role");
  });
});

// keeps the background-run helper exercised: a run's outcome can be awaited where it executes
describe("whenRunEnds", () => {
  it("is undefined for a run not executing in this process", () => {
    expect(whenRunEnds("deadbeef")).toBeUndefined();
  });
});
