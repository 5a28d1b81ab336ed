// Faults inside bucket transactions, retries with backoff, resume after a failed run, one writer
// per engine database, and the audit trail of every attempt (SPEC §7, §8).
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb } from "../src/control/db";
import { createRunRecorder } from "../src/control/recorder";
import type { PipelineEvent, RunOptions, RunResult } from "../src/pipeline/api";
import { execute } from "../src/pipeline/engine/duckdb";
import { PipelineError } from "../src/pipeline/errors";
import { backoffDelay } from "../src/pipeline/execute/retry";
import { getEngineRun } from "../src/pipeline/state/store";
import { rollbackPipeline, runPipeline } from "../src/pipeline/run";
import { disposeWorkspace, makeWorkspace, readTables, REF_CONFIG, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefRecord } from "./reference";
import { withConnection } from "./scenario-helpers";

const BASE_MI = 2022 * 12;

type RunResultCounts = RunResult["counts"];

/** A deterministic batch: accounts × months with some gaps, late data and tombstones. */
function syntheticBatches(accounts: number, months: number, seed: number): RefRecord[][] {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const first: RefRecord[] = [];
  const second: RefRecord[] = [];
  for (let a = 0; a < accounts; a++) {
    for (let m = 0; m < months; m++) {
      if (rnd() < 0.1) continue;
      const rec: RefRecord = {
        acct: `acc${a}`,
        mi: BASE_MI + m,
        ts: m * 3600,
        stat: rnd() < 0.05 ? "DA" : "11",
        typ: rnd() < 0.5 ? "A" : "B",
        balance: Math.floor(rnd() * 1000),
        rating: String(Math.floor(rnd() * 3)),
        limit: rnd() < 0.1 ? -1 : 1000,
      };
      (m < months - 2 ? first : second).push(rec);
      if (rnd() < 0.1) second.push({ ...rec, ts: rec.ts + 100_000, balance: (rec.balance ?? 0) + 1 }); // correction
    }
  }
  return [first, second];
}

function manyBuckets(ws: Workspace, retryCount = 3): void {
  ws.config.partitioning.target_rows_per_partition = 10;
  ws.config.resilience.retry_count = retryCount;
  ws.config.resilience.backoff_base_ms = 1;
  ws.config.resilience.backoff_max_ms = 5;
}

const workspaces: Workspace[] = [];
afterAll(async () => {
  for (const ws of workspaces) await disposeWorkspace(ws);
});

function workspace(name: string): Workspace {
  const ws = makeWorkspace({ name });
  workspaces.push(ws);
  return ws;
}

describe("backoff", () => {
  it("keeps every delay within the full-jitter bounds", () => {
    const policy = { retryCount: 5, baseMs: 500, maxMs: 30_000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      expect(backoffDelay(policy, attempt, () => 0)).toBe(0);
      expect(backoffDelay(policy, attempt, () => 0.999999)).toBeLessThanOrEqual(cap);
      expect(backoffDelay(policy, attempt, () => 0.999999)).toBeGreaterThanOrEqual(cap - 1);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(policy, attempt, Math.random);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it("retries a transient fault exactly retry_count times, sleeping by the policy, then fails", async () => {
    const ws = workspace("cap");
    manyBuckets(ws, 4);
    ws.config.resilience.backoff_base_ms = 100;
    ws.config.resilience.backoff_max_ms = 250;
    writeBatch(ws, syntheticBatches(3, 3, 1)[0] ?? []);
    const sleeps: number[] = [];
    let attempts = 0;
    const r = await runPipeline({
      config: ws.config,
      hooks: {
        beforeBucketCommit: () => {
          attempts++;
          throw new PipelineError("ENGINE", "injected transient fault", { retryable: true });
        },
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
      },
    });
    expect(r.status).toBe("failed");
    expect(attempts).toBe(5); // the first attempt and 4 retries
    expect(sleeps).toEqual([50, 100, 125, 125]); // 0.5 × min(250, 100·2^n)
  });
});

/**
 * A first batch built, then a run of the second that fails permanently at bucket attempt
 * `failAt` (the buckets before it committed), then a later run that ingests the same input.
 */
async function supersededRun(name: string, failAt: number) {
  const ws = workspace(name);
  manyBuckets(ws, 3);
  const batches = syntheticBatches(30, 8, 11);
  writeBatch(ws, batches[0] ?? []);
  expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
  writeBatch(ws, batches[1] ?? []);
  let attempts = 0;
  const failed = await runPipeline({
    config: ws.config,
    hooks: {
      beforeBucketCommit: () => {
        if (++attempts === failAt) throw new PipelineError("SOURCE", "injected permanent fault", { retryable: false });
      },
    },
  });
  expect(failed.status).toBe("failed");
  const later = await runPipeline({ config: ws.config });
  expect(later.status).toBe("succeeded");
  return { ws, batches, failed, later };
}

describe("fault injection", () => {
  it("retries transient faults within the attempts and ends equal to the reference", async () => {
    const ws = workspace("transient");
    manyBuckets(ws, 3);
    const batches = syntheticBatches(30, 8, 7);
    let failures = 0;
    const events: PipelineEvent[] = [];
    for (const b of batches) {
      writeBatch(ws, b);
      const r = await runPipeline({
        config: ws.config,
        onEvent: (e) => events.push(e),
        hooks: {
          beforeBucketCommit: (_bucket, attempt) => {
            // a third of first attempts and a sixth of second attempts fail
            if ((attempt === 0 && Math.random() < 0.33) || (attempt === 1 && Math.random() < 0.17)) {
              failures++;
              throw new PipelineError("ENGINE", "injected transient fault", { retryable: true });
            }
          },
        },
      });
      expect(r.error ?? "").toBe("");
      expect(r.status).toBe("succeeded");
    }
    expect(failures).toBeGreaterThan(0);
    const buckets = events.filter((e) => e.type === "bucket");
    expect(buckets.filter((e) => e.status === "failed")).toHaveLength(failures);
    const expected = referenceTables(batches, REF_CONFIG);
    const got = await readTables(ws);
    expect(sortRows(got.summary)).toEqual(expected.summary);
    expect(sortRows(got.latest)).toEqual(expected.latest);
  });

  it("fails at once on a permanent fault with nothing half-written, and a resume completes the run", async () => {
    const ws = workspace("permanent");
    manyBuckets(ws, 3);
    const batches = syntheticBatches(30, 8, 11);
    writeBatch(ws, batches[0] ?? []);
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    const before = await readTables(ws);
    writeBatch(ws, batches[1] ?? []);
    let attempts = 0;
    let committed = 0;
    const failed = await runPipeline({
      config: ws.config,
      onEvent: (e) => {
        if (e.type === "bucket" && e.status === "succeeded") committed++;
      },
      hooks: {
        beforeBucketCommit: () => {
          attempts++;
          if (attempts === 4) throw new PipelineError("SOURCE", "injected permanent fault", { retryable: false });
        },
      },
    });
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("injected permanent fault");
    expect(attempts).toBe(4); // no retry of a permanent fault
    expect(committed).toBe(3);
    // three buckets committed, the fourth rolled back entirely: the tables hold no partial bucket
    const mid = await readTables(ws);
    expect(mid.summary.length).toBeGreaterThanOrEqual(before.summary.length);
    const resumed = await runPipeline({ config: ws.config, resume: failed.runId });
    expect(resumed.error ?? "").toBe("");
    expect(resumed.status).toBe("succeeded");
    const expected = referenceTables(batches, REF_CONFIG);
    const got = await readTables(ws);
    expect(sortRows(got.summary)).toEqual(expected.summary);
    expect(sortRows(got.latest)).toEqual(expected.latest);
    // the resumed run's input was recorded: a second resume is refused, a re-run finds nothing new
    await expect(runPipeline({ config: ws.config, resume: failed.runId })).rejects.toMatchObject({ code: "RUN_STATE" });
    const again = await runPipeline({ config: ws.config });
    expect(again.counts.read).toBe(0);
  });

  it("a resumed run counts the rows its earlier buckets wrote, and records its total time", async () => {
    // the resumed run reported only the buckets it committed itself, and a successful run's
    // recorded timings had no total (finalize wrote them before it was taken)
    const batches = syntheticBatches(30, 8, 11);
    const plain = workspace("counts-plain");
    const broken = workspace("counts-resumed");
    for (const ws of [plain, broken]) {
      manyBuckets(ws, 0);
      writeBatch(ws, batches[0] ?? []);
      expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
      writeBatch(ws, batches[1] ?? []);
    }
    const uninterrupted = await runPipeline({ config: plain.config });
    let attempts = 0;
    const failed = await runPipeline({
      config: broken.config,
      hooks: {
        beforeBucketCommit: () => {
          if (++attempts === 4) throw new PipelineError("SOURCE", "injected permanent fault", { retryable: false });
        },
      },
    });
    expect(failed.status).toBe("failed");
    const resumed = await runPipeline({ config: broken.config, resume: failed.runId });
    expect(resumed.error ?? "").toBe("");
    const rowCounts = (c: RunResultCounts) => ({ rowsInserted: c.rowsInserted, rowsUpdated: c.rowsUpdated, latestRowsWritten: c.latestRowsWritten });
    expect(uninterrupted.counts.rowsInserted + uninterrupted.counts.rowsUpdated).toBeGreaterThan(0);
    expect(rowCounts(resumed.counts)).toEqual(rowCounts(uninterrupted.counts));
    const recorded = await withConnection(broken.database, (conn) => getEngineRun(conn, resumed.runId));
    expect(rowCounts(JSON.parse(recorded?.countsJson ?? "{}") as RunResultCounts)).toEqual(rowCounts(uninterrupted.counts));
    const timings = JSON.parse(recorded?.timingsJson ?? "{}") as Record<string, number>;
    expect(timings.total).toBe(resumed.timings.total);
    expect(timings.total).toBeGreaterThanOrEqual(timings.finalize ?? Infinity);
  });

  it("refuses to resume a failed run a later run has superseded, unless that run was rolled back", async () => {
    // the resume applied the failed run's remaining buckets over the later run's tables: duplicate
    // (account, month) rows and arrays that disagree
    const { ws, batches, failed, later } = await supersededRun("superseded", 3);
    const expected = referenceTables(batches, REF_CONFIG);
    const resume = runPipeline({ config: ws.config, resume: failed.runId });
    await expect(resume).rejects.toMatchObject({ code: "RUN_STATE" });
    await expect(resume).rejects.toThrow(new RegExp(`run ${later.runId} \\(succeeded\\) started after it`));
    let got = await readTables(ws);
    expect(sortRows(got.summary)).toEqual(expected.summary);
    expect(sortRows(got.latest)).toEqual(expected.latest);
    // once the later run is rolled back, the failed run is the newest again and resumes
    await rollbackPipeline(ws.config, later.runId);
    const resumed = await runPipeline({ config: ws.config, resume: failed.runId });
    expect(resumed.error ?? "").toBe("");
    got = await readTables(ws);
    expect(sortRows(got.summary)).toEqual(expected.summary);
    expect(sortRows(got.latest)).toEqual(expected.latest);
  });

  it("a forward record whose latest row moved since its batch was classified fails the bucket, nothing committed", async () => {
    // the guard behind the refusal above: with the later run's record gone, the resume applied the
    // failed run's forward months again, appending rows that already existed
    const { ws, failed, later } = await supersededRun("moved", 2);
    const after = await readTables(ws);
    await withConnection(ws.database, (conn) => execute(conn, `DELETE FROM _sp.runs WHERE run_id = '${later.runId}'`));
    const resumed = await runPipeline({ config: ws.config, resume: failed.runId });
    expect(resumed.status).toBe("failed");
    expect(resumed.errorCode).toBe("INVARIANT");
    expect(resumed.error).toContain("latest_summary row differs from the one the batch was classified against");
    expect(await readTables(ws)).toEqual(after);
  });

  it("a resume reads a file fixed after the run failed on it, and the manifest records the content it read", async () => {
    // the manifest kept the broken file's size and hash: the next run took the fixed file for a new one
    const ws = workspace("fixedfile");
    const batches = syntheticBatches(10, 4, 5);
    writeBatch(ws, batches[0] ?? []);
    expect((await runPipeline({ config: ws.config })).status).toBe("succeeded");
    const file = writeBatch(ws, batches[1] ?? []);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, "this is not,the source\n1,2\n");
    const failed = await runPipeline({ config: ws.config });
    expect(failed.status).toBe("failed");
    fs.writeFileSync(file, good);
    const resumed = await runPipeline({ config: ws.config, resume: failed.runId });
    expect(resumed.error ?? "").toBe("");
    expect(resumed.counts.read).toBe(batches[1]?.length);
    const expected = referenceTables(batches, REF_CONFIG);
    const got = await readTables(ws);
    expect(sortRows(got.summary)).toEqual(expected.summary);
    expect(sortRows(got.latest)).toEqual(expected.latest);
    const again = await runPipeline({ config: ws.config });
    expect(again.counts.read).toBe(0);
  });

  it("refuses to resume an unknown run", async () => {
    const ws = workspace("unknown");
    writeBatch(ws, syntheticBatches(2, 2, 3)[0] ?? []);
    await runPipeline({ config: ws.config });
    const r = runPipeline({ config: ws.config, resume: "deadbeef" });
    await expect(r).rejects.toMatchObject({ code: "RUN_STATE" });
    await expect(r).rejects.toThrow(/no run deadbeef/);
  });
});

describe("one writer", () => {
  it("refuses a second run on the same engine database while one runs, naming it", async () => {
    const ws = workspace("writer");
    manyBuckets(ws);
    writeBatch(ws, syntheticBatches(20, 6, 5)[0] ?? []);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let firstId = "";
    const first = runPipeline({
      config: ws.config,
      onEvent: (e) => {
        if (e.type === "run") firstId = e.runId;
      },
      hooks: { beforeBucketCommit: () => gate },
    });
    await new Promise((r) => setTimeout(r, 300));
    const second = runPipeline({ config: ws.config });
    await expect(second).rejects.toMatchObject({ code: "LOCKED" });
    await expect(second).rejects.toThrow(new RegExp(firstId));
    release();
    expect((await first).status).toBe("succeeded");
  });
});

describe("audit trail", () => {
  it("records one audit event per bucket attempt, failures included, and the run's start and end", async () => {
    const ws = workspace("audit");
    manyBuckets(ws, 2);
    const url = `file:${path.join(ws.dir, "control.db")}`;
    const db = openControlDb({ url }).client;
    try {
      writeBatch(ws, syntheticBatches(20, 6, 9)[0] ?? []);
      const recorder = createRunRecorder(db, { trigger: "test" });
      let attempts = 0;
      let n = 0;
      const opts: RunOptions = {
        config: ws.config,
        onEvent: recorder.onEvent,
        hooks: {
          beforeBucketCommit: () => {
            attempts++;
            if (++n % 3 === 0) throw new PipelineError("ENGINE", "injected transient fault", { retryable: true });
          },
        },
      };
      const r = await runPipeline(opts);
      await recorder.finish(r);
      expect(recorder.error()).toBeUndefined();
      expect(r.status).toBe("succeeded");
      const events = await db.auditEvent.findMany({ where: { runId: r.runId }, orderBy: { id: "asc" } });
      expect(events.filter((e) => e.type === "bucket.attempt")).toHaveLength(attempts);
      expect(events.filter((e) => e.type === "bucket.attempt" && e.level === "warn").length).toBe(Math.floor(attempts / 3));
      expect(events[0]?.type).toBe("run.start");
      expect(events.at(-1)?.type).toBe("run.finish");
      const run = await db.run.findUniqueOrThrow({ where: { id: r.runId } });
      expect(run.status).toBe("succeeded");
      expect(run.bucketsDone).toBe(run.bucketsTotal);
      const buckets = await db.runBucket.findMany({ where: { runId: r.runId } });
      expect(buckets).toHaveLength(run.bucketsTotal);
      expect(buckets.every((b) => b.status === "succeeded")).toBe(true);
    } finally {
      await closeControlDb(url);
      fs.rmSync(path.join(ws.dir, "control.db"), { force: true });
    }
  });
});
