// Mirrors a run into the control database: the Run row and its buckets for the dashboard, and an
// append-only audit event per run start/resume/finish/fail/cancel and per bucket attempt. The engine
// emits events synchronously; writes are chained in order and `flush()` waits for them.
import os from "node:os";
import type { PipelineEvent, RunResult } from "../pipeline/api";
import { ownerIsAlive } from "../pipeline/state/owner";
import type { ControlDb } from "./db";

export interface RunRecorder {
  onEvent(event: PipelineEvent): void;
  /** Records the outcome of a run (or of an attempt that failed before it had a run id). */
  finish(result: RunResult): Promise<void>;
  flush(): Promise<void>;
  /** The first write error, if any (recording never fails the run itself). */
  error(): unknown;
}

export function createRunRecorder(db: ControlDb, opts: { trigger: string; actor?: string }): RunRecorder {
  let chain: Promise<void> = Promise.resolve();
  let firstError: unknown;
  const actor = opts.actor ?? `${os.userInfo().username}@${os.hostname()}`;
  const enqueue = (fn: () => Promise<unknown>) => {
    chain = chain.then(fn).then(
      () => undefined,
      (err: unknown) => {
        firstError ??= err;
      },
    );
  };
  const audit = (runId: string | null, type: string, level: "info" | "warn" | "error", message: string, data?: unknown) =>
    db.auditEvent.create({
      data: { runId, type, level, actor, message, data: data === undefined ? null : JSON.stringify(data) },
    });

  return {
    onEvent(e) {
      switch (e.type) {
        case "run":
          enqueue(async () => {
            const now = new Date();
            await db.run.upsert({
              where: { id: e.runId },
              create: {
                id: e.runId,
                status: "running",
                mode: e.mode,
                dryRun: e.dryRun,
                trigger: opts.trigger,
                owner: e.owner,
                input: JSON.stringify(e.input),
                configVersionId: e.configVersion ? Number(e.configVersion) || null : null,
                startedAt: now,
              },
              update: { status: "running", owner: e.owner, error: null, finishedAt: null, resumeCount: { increment: e.resumed ? 1 : 0 } },
            });
            await audit(
              e.runId,
              e.resumed ? "run.resume" : "run.start",
              "info",
              `${e.resumed ? "resumed" : "started"} ${e.dryRun ? "dry run" : e.mode + " run"} (${e.input})`,
              { mode: e.mode, dryRun: e.dryRun, trigger: opts.trigger, owner: e.owner },
            );
          });
          break;
        case "plan":
          enqueue(() =>
            db.run.update({
              where: { id: e.runId },
              data: { plan: JSON.stringify(e.plan), bucketsTotal: e.plan.buckets.count, counts: JSON.stringify(e.plan.counts) },
            }),
          );
          break;
        case "progress":
          enqueue(() =>
            db.run.update({
              where: { id: e.runId },
              data: { phase: e.phase, bucketsDone: e.bucketsDone, bucketsTotal: e.bucketsTotal, rowsWritten: e.rows },
            }),
          );
          break;
        case "bucket":
          enqueue(async () => {
            const now = new Date();
            const data = {
              status: e.status === "succeeded" ? "succeeded" : e.retryable ? "retrying" : "failed",
              rows: e.rows,
              attempts: e.attempt + 1,
              counts: JSON.stringify(e.counts),
              error: e.error ?? null,
              finishedAt: now,
              durationMs: e.durationMs,
              startedAt: new Date(now.getTime() - e.durationMs),
            };
            await db.runBucket.upsert({
              where: { runId_bucket: { runId: e.runId, bucket: e.bucket } },
              create: { runId: e.runId, bucket: e.bucket, ...data },
              update: data,
            });
            await audit(
              e.runId,
              "bucket.attempt",
              e.status === "succeeded" ? "info" : e.retryable ? "warn" : "error",
              e.status === "succeeded"
                ? `bucket ${e.bucket} attempt ${e.attempt + 1}: ${e.rows} rows written in ${e.durationMs} ms`
                : `bucket ${e.bucket} attempt ${e.attempt + 1} failed${e.retryable ? " (will retry)" : ""}: ${e.error ?? "unknown error"}`,
              { bucket: e.bucket, attempt: e.attempt + 1, rows: e.rows, durationMs: e.durationMs, counts: e.counts, error: e.error ?? null },
            );
          });
          break;
        case "log":
          if (e.level !== "info") enqueue(() => audit(e.runId, "run.log", e.level, e.message));
          break;
      }
    },
    async finish(result) {
      enqueue(async () => {
        const exists = await db.run.findUnique({ where: { id: result.runId }, select: { id: true } });
        if (exists) {
          await db.run.update({
            where: { id: result.runId },
            data: {
              status: result.status,
              counts: JSON.stringify(result.counts),
              timings: JSON.stringify(result.timings),
              ...(result.plan ? { plan: JSON.stringify(result.plan) } : {}),
              error: result.error ?? null,
              finishedAt: new Date(),
              phase: result.status === "succeeded" ? "done" : result.status,
            },
          });
        }
        const type = result.status === "succeeded" ? "run.finish" : result.status === "cancelled" ? "run.cancel" : "run.fail";
        const level = result.status === "succeeded" ? "info" : result.status === "cancelled" ? "warn" : "error";
        const message =
          result.status === "succeeded"
            ? `${result.dryRun ? "dry run" : result.mode + " run"} succeeded: ${result.counts.rowsInserted} rows inserted, ${result.counts.rowsUpdated} updated`
            : `run ${result.status}: ${result.error ?? ""}`.trim();
        await audit(result.runId, type, level, message, { counts: result.counts, timings: result.timings, error: result.error ?? null });
      });
      await chain;
    },
    flush: () => chain,
    error: () => firstError,
  };
}

/**
 * Runs recorded as running or queued whose process is gone are interrupted: they show so in the
 * dashboard and can be resumed. Returns their ids.
 */
export async function markDeadRunsInterrupted(db: ControlDb, activeRunIds: ReadonlySet<string> = new Set()): Promise<string[]> {
  const open = await db.run.findMany({ where: { status: { in: ["running", "queued"] } }, select: { id: true, owner: true } });
  const dead = open.filter((r) => !activeRunIds.has(r.id) && !(r.owner && r.owner !== `${os.hostname()}:${process.pid}` && ownerIsAlive(r.owner)));
  for (const r of dead) {
    await db.run.update({ where: { id: r.id }, data: { status: "interrupted", phase: "interrupted" } });
    await db.auditEvent.create({
      data: {
        runId: r.id,
        type: "run.interrupted",
        level: "warn",
        actor: "system",
        message: `run ${r.id} was running in a process that is gone (${r.owner ?? "unknown"}); resume it with --resume ${r.id}`,
      },
    });
  }
  return dead.map((r) => r.id);
}

/** A run as the engine database records it (the source of truth for what committed). */
export interface EngineRunState {
  runId: string;
  status: string;
  countsJson: string | null;
  timingsJson: string | null;
}

/**
 * A process killed after its run's last commit but before the control database heard of it leaves
 * the run `running` (then `interrupted`) there while the engine holds it `succeeded`: such runs
 * (and runs rolled back in the engine) take the engine's status, audited. Returns their ids.
 */
export async function reconcileWithEngine(db: ControlDb, engineRuns: readonly EngineRunState[]): Promise<string[]> {
  const final = new Map(engineRuns.filter((r) => r.status === "succeeded" || r.status === "rolled_back").map((r) => [r.runId, r]));
  if (final.size === 0) return [];
  const stale = await db.run.findMany({
    where: { id: { in: [...final.keys()] }, status: { in: ["running", "queued", "interrupted", "failed", "cancelled"] } },
    select: { id: true, status: true },
  });
  const fixed: string[] = [];
  for (const row of stale) {
    const e = final.get(row.id);
    if (!e) continue;
    await db.run.update({
      where: { id: row.id },
      data: {
        status: e.status,
        phase: e.status === "succeeded" ? "done" : "rolled back",
        ...(e.countsJson ? { counts: e.countsJson } : {}),
        ...(e.timingsJson ? { timings: e.timingsJson } : {}),
        error: null,
        finishedAt: new Date(),
      },
    });
    await db.auditEvent.create({
      data: {
        runId: row.id,
        type: "run.reconciled",
        level: "info",
        actor: "system",
        message: `run ${row.id} was recorded ${row.status} here but is ${e.status} in the engine database (its process ended after the commit); recorded as ${e.status}`,
      },
    });
    fixed.push(row.id);
  }
  return fixed;
}

