// The engine host's run executor: dashboard runs execute inside the server process (they keep going
// when the browser closes), mirrored into the control database by the run recorder; rollback of a
// finished run; and the reads the Runs pages need (run list, run detail with buckets and attempts),
// parsed from the Prisma rows.
import fs from "node:fs";
import type { ControlDb } from "@/control/db";
import { versionForRun } from "@/control/config-versions";
import { createRunRecorder, markDeadRunsInterrupted, reconcileWithEngine } from "@/control/recorder";
import { emptyCounts, type CaseCounts, type PipelineEvent, type RunMode, type RunOptions, type RunResult, type RunStatus } from "@/pipeline/api";
import type { PipelineConfig } from "@/pipeline/config/schema";
import { describeError, PipelineError, type PipelineErrorCode } from "@/pipeline/errors";
import type { Plan } from "@/pipeline/plan/classify";
import { openEngineFor, rollbackPipeline, runPipeline } from "@/pipeline/run";
import { listEngineRuns, STATE_SCHEMA, tableExists } from "@/pipeline/state/store";
import type { RollbackResult } from "@/pipeline/undo";
import { loadPipelineConfig } from "./config";
import { ensureInitialVersion } from "./config-versions";

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted", "rolled_back"] as const satisfies readonly RunStatus[];
/** Statuses a run can be resumed from. */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ["failed", "interrupted", "cancelled"];

export interface RunsDeps {
  controlDb: () => { client: ControlDb };
  /** The config dashboard runs use; by default the config file (PIPELINE_CONFIG). */
  loadConfig?: () => PipelineConfig;
  /** Test hooks passed to the engine, besides those of SP_FAULT_INJECTION. */
  hooks?: RunOptions["hooks"];
}

// ---------------------------------------------------------------------------------------------
// Runs executing in this process

type ProgressEvent = Extract<PipelineEvent, { type: "progress" }>;

interface LiveRun {
  runId: string;
  controller: AbortController;
  /** Settles once the run has ended and its outcome is recorded. */
  done: Promise<RunResult>;
  progress: ProgressEvent | null;
  cancelRequested: boolean;
}

interface ExecutorState {
  live: Map<string, LiveRun>;
  /** Set once the runs of a previous (dead) server process have been marked interrupted. */
  deadRunsChecked: Promise<void> | null;
}

const stateKey = Symbol.for("summary-pipeline.run-executor");
function executor(): ExecutorState {
  const g = globalThis as unknown as Record<symbol, ExecutorState | undefined>;
  let s = g[stateKey];
  if (!s) {
    s = { live: new Map(), deadRunsChecked: null };
    g[stateKey] = s;
  }
  return s;
}

/** The outcome of a run executing in this process (tests; undefined when it is not executing here). */
export function whenRunEnds(runId: string): Promise<RunResult> | undefined {
  return executor().live.get(runId)?.done;
}

/**
 * On the first call in a process: runs recorded as running by a server that is gone are
 * interrupted — unless the engine database has them committed (their process died after the
 * commit), which then is what they show.
 */
function checkDeadRuns(db: ControlDb, deps: RunsDeps): Promise<void> {
  const s = executor();
  s.deadRunsChecked ??= markDeadRunsInterrupted(db, new Set(s.live.keys())).then(
    () => reconcileFromEngine(db, deps),
    (err: unknown) => {
      s.deadRunsChecked = null; // try again on the next call
      throw err;
    },
  );
  return s.deadRunsChecked;
}

async function reconcileFromEngine(db: ControlDb, deps: RunsDeps): Promise<void> {
  try {
    const { config } = configOf(deps);
    if (config.engine.database !== ":memory:" && !fs.existsSync(config.engine.database)) return;
    const conn = await (await openEngineFor(config)).connect();
    try {
      if (await tableExists(conn, STATE_SCHEMA, "runs")) await reconcileWithEngine(db, await listEngineRuns(conn, 100));
    } finally {
      conn.closeSync();
    }
  } catch {
    // best effort: the runs list still shows the control database's record
  }
}

// ---------------------------------------------------------------------------------------------
// Fault injection — a TEST HOOK. When (and only when) the environment variable SP_FAULT_INJECTION
// is set, dashboard runs fail inside a bucket's transaction, before its commit:
//   permanent-after:N   the (N+1)-th bucket commit of a run throws a permanent error; this happens
//                       once per server process (the first run that gets that far), so a resume succeeds
//   transient-rate:R    each bucket commit throws a retryable error with probability R (0..1)
// The e2e server sets it to exercise failure and resume from the UI; production never sets it.

export type FaultSpec = { kind: "permanent-after"; commits: number } | { kind: "transient-rate"; rate: number };

export function parseFaultSpec(text: string | undefined): FaultSpec | null {
  if (text === undefined || text.trim() === "") return null;
  const m = /^\s*(permanent-after|transient-rate)\s*:\s*([0-9.]+)\s*$/.exec(text);
  const value = m ? Number(m[2]) : NaN;
  if (m?.[1] === "permanent-after" && Number.isInteger(value) && value >= 0) return { kind: "permanent-after", commits: value };
  if (m?.[1] === "transient-rate" && value >= 0 && value <= 1) return { kind: "transient-rate", rate: value };
  throw new PipelineError("USAGE", `SP_FAULT_INJECTION must be permanent-after:N or transient-rate:R (0..1), not ${JSON.stringify(text)}`, {
    where: "SP_FAULT_INJECTION",
  });
}

const faultKey = Symbol.for("summary-pipeline.fault-injection");
function faultState(): { permanentFired: boolean } {
  const g = globalThis as unknown as Record<symbol, { permanentFired: boolean } | undefined>;
  let s = g[faultKey];
  if (!s) {
    s = { permanentFired: false };
    g[faultKey] = s;
  }
  return s;
}

/** Forgets that the once-per-process permanent fault has fired (tests). */
export function resetFaultInjection(): void {
  faultState().permanentFired = false;
}

/** The bucket hook of a fault spec, for one run. */
export function faultInjectionHook(spec: FaultSpec, random: () => number = Math.random): (bucket: number) => void {
  let commits = 0;
  return (bucket) => {
    commits++;
    if (spec.kind === "permanent-after") {
      const state = faultState();
      if (!state.permanentFired && commits === spec.commits + 1) {
        state.permanentFired = true;
        throw new PipelineError("ENGINE", `injected permanent fault in bucket ${bucket} (SP_FAULT_INJECTION=permanent-after:${spec.commits})`, {
          retryable: false,
          where: `bucket ${bucket}`,
        });
      }
    } else if (random() < spec.rate) {
      throw new PipelineError("ENGINE", `injected transient fault in bucket ${bucket} (SP_FAULT_INJECTION=transient-rate:${spec.rate})`, {
        retryable: true,
        where: `bucket ${bucket}`,
      });
    }
  };
}

function runHooks(deps: RunsDeps): RunOptions["hooks"] {
  const spec = parseFaultSpec(process.env.SP_FAULT_INJECTION);
  if (!spec) return deps.hooks;
  const inject = faultInjectionHook(spec, deps.hooks?.random);
  const own = deps.hooks?.beforeBucketCommit;
  return {
    ...deps.hooks,
    beforeBucketCommit: async (bucket, attempt) => {
      await own?.(bucket, attempt);
      inject(bucket);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Launch, cancel, resume

export interface LaunchInput {
  mode: RunMode;
  dryRun: boolean;
  /** Who asked, for the audit trail. */
  actor: string;
}

export interface DryRunOutcome {
  dryRun: true;
  runId: string;
  mode: RunMode;
  /** Null when there is nothing new to ingest. */
  plan: Plan | null;
  counts: CaseCounts;
  /** What the engine said (e.g. "nothing new to ingest"). */
  notes: string[];
}

export interface LaunchOutcome {
  dryRun: false;
  runId: string;
  resumed: boolean;
}

function configOf(deps: RunsDeps): { config: PipelineConfig; path: string } {
  return deps.loadConfig ? { config: deps.loadConfig(), path: "the test's config" } : loadPipelineConfig();
}

const ERROR_CODES: readonly PipelineErrorCode[] = [
  "CONFIG_INVALID",
  "USAGE",
  "SOURCE",
  "ENGINE",
  "LOCKED",
  "RUN_STATE",
  "INVARIANT",
  "CANCELLED",
  "NOT_AVAILABLE",
];

function errorOfResult(result: RunResult): PipelineError {
  const code = ERROR_CODES.find((c) => c === result.errorCode) ?? "ENGINE";
  return new PipelineError(code, result.error ?? `run ${result.runId} ${result.status}`, { where: result.runId });
}

/**
 * Starts a run. A real run executes in the background; the promise resolves with its id as soon as
 * the engine has claimed the database and recorded it. A dry run is awaited and returns its plan;
 * it writes nothing, so it is not recorded as a run either.
 */
export async function launchRun(deps: RunsDeps, input: LaunchInput): Promise<DryRunOutcome | LaunchOutcome> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const { config, path } = configOf(deps);
  // the version whose document is the config this run reads (stored now if the file drifted);
  // an empty history starts, as the config page starts it, from the file imported as version 1
  await ensureInitialVersion(db, path);
  const configVersion = String(await versionForRun(db, config, { actor: input.actor, source: path }));
  if (input.dryRun) return dryRun(config, configVersion, input.mode);
  return start(deps, db, { config, configVersion, mode: input.mode, actor: input.actor });
}

async function dryRun(config: PipelineConfig, configVersion: string | null, mode: RunMode): Promise<DryRunOutcome> {
  const notes: string[] = [];
  const result = await runPipeline({
    config,
    configVersion,
    mode,
    dryRun: true,
    trigger: "dashboard",
    onEvent: (e) => {
      if (e.type === "log") notes.push(e.message);
    },
  });
  if (result.status !== "succeeded") throw errorOfResult(result);
  return { dryRun: true, runId: result.runId, mode: result.mode, plan: result.plan ?? null, counts: result.counts, notes };
}

/** Resumes a failed, interrupted or cancelled run from its first uncommitted bucket. Null: no such run. */
export async function resumeRun(deps: RunsDeps, input: { runId: string; actor: string }): Promise<LaunchOutcome | null> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const row = await db.run.findUnique({ where: { id: input.runId }, select: { status: true, mode: true, dryRun: true, timings: true } });
  if (!row) return null;
  if (row.dryRun) throw new PipelineError("RUN_STATE", `run ${input.runId} was a dry run and wrote nothing; launch a new run`, { where: input.runId });
  if (!(RESUMABLE_STATUSES as readonly string[]).includes(row.status)) {
    throw new PipelineError(
      "RUN_STATE",
      `run ${input.runId} is ${row.status}; only ${RESUMABLE_STATUSES.join(", ")} runs can be resumed`,
      { where: input.runId },
    );
  }
  const outcome = await start(deps, db, {
    // a resume runs the config it recorded when it started, and keeps that run's version
    config: configOf(deps).config,
    configVersion: null,
    mode: row.mode === "initial" ? "initial" : "incremental",
    resume: input.runId,
    earlierTimings: parseJson<Record<string, number>>(row.timings) ?? {},
    actor: input.actor,
  });
  return outcome;
}

async function start(
  deps: RunsDeps,
  db: ControlDb,
  p: {
    config: PipelineConfig;
    configVersion: string | null;
    mode: RunMode;
    resume?: string;
    /** Phase timings of the executions before a resume. */
    earlierTimings?: Record<string, number>;
    actor: string;
  },
): Promise<LaunchOutcome> {
  const recorder = createRunRecorder(db, { trigger: "dashboard", actor: p.actor });
  const controller = new AbortController();
  const live = executor().live;
  let current: LiveRun | null = null;
  let announce: (runId: string) => void = () => undefined;
  const announced = new Promise<string>((resolve) => (announce = resolve));

  const execution = runPipeline({
    config: p.config,
    configVersion: p.configVersion,
    mode: p.mode,
    resume: p.resume,
    trigger: "dashboard",
    signal: controller.signal,
    hooks: runHooks(deps),
    onEvent: (e) => {
      recorder.onEvent(e);
      if (e.type === "run") {
        current = { runId: e.runId, controller, done: settled, progress: null, cancelRequested: false };
        live.set(e.runId, current);
        announce(e.runId);
      } else if (e.type === "progress" && current) {
        current.progress = e;
      }
    },
  });

  const settled: Promise<RunResult> = execution
    .then(
      async (result) => {
        const whole = p.resume ? await withEarlierExecutions(db, recorder, result, p.earlierTimings ?? {}) : result;
        await recorder.finish(whole);
        return whole;
      },
      async (err: unknown) => {
        const run = current as LiveRun | null;
        if (run) {
          // the engine ends a run with a result; a throw after it started is recorded as its failure
          await recorder.finish({
            runId: run.runId,
            status: "failed",
            mode: p.mode,
            dryRun: false,
            counts: emptyCounts(),
            timings: {},
            error: describeError(err),
            errorCode: err instanceof PipelineError ? err.code : "ENGINE",
          });
        } else {
          await db.auditEvent
            .create({
              data: {
                runId: p.resume ?? null,
                type: "run.fail",
                level: "error",
                actor: p.actor,
                message: `${p.resume ? `resume of run ${p.resume}` : `${p.mode} run`} could not start: ${describeError(err)}`,
                data: JSON.stringify({ trigger: "dashboard", code: err instanceof PipelineError ? err.code : null }),
              },
            })
            .catch((auditErr: unknown) => console.error("could not audit a failed launch:", auditErr));
        }
        throw err;
      },
    )
    .finally(() => {
      const run = current as LiveRun | null;
      if (run && live.get(run.runId) === run) live.delete(run.runId);
      const recordError = recorder.error();
      if (recordError) console.error("the control database missed events of a dashboard run:", recordError);
    });
  // nobody may be waiting on a background run any more; its failure is recorded, not thrown at the process
  settled.catch(() => undefined);

  const runId = await Promise.race([announced, settled.then((r) => r.runId)]);
  // the Run row exists before the caller asks for it
  await recorder.flush();
  return { dryRun: false, runId, resumed: p.resume !== undefined };
}

/**
 * The engine reports what one execution did; a resumed run's figures cover all of its executions:
 * rows written are summed over its committed buckets (as recorded per bucket), timings per phase.
 */
async function withEarlierExecutions(
  db: ControlDb,
  recorder: { flush(): Promise<void> },
  result: RunResult,
  earlierTimings: Record<string, number>,
): Promise<RunResult> {
  await recorder.flush();
  const buckets = await db.runBucket.findMany({ where: { runId: result.runId, status: "succeeded" }, select: { counts: true } });
  const counts = { ...result.counts };
  const rowKeys = ["rowsInserted", "rowsUpdated", "latestRowsWritten"] as const;
  const sums = { rowsInserted: 0, rowsUpdated: 0, latestRowsWritten: 0 };
  for (const b of buckets) {
    const c = parseJson<Partial<CaseCounts>>(b.counts) ?? {};
    for (const k of rowKeys) sums[k] += c[k] ?? 0;
  }
  for (const k of rowKeys) counts[k] = Math.max(counts[k], sums[k]);
  const timings = { ...earlierTimings };
  for (const [phase, ms] of Object.entries(result.timings)) timings[phase] = (timings[phase] ?? 0) + ms;
  return { ...result, counts, timings };
}

/**
 * Asks a run executing in this process to stop; it ends as cancelled after the bucket in progress.
 * Null: no such run.
 */
export async function cancelRun(deps: RunsDeps, input: { runId: string; actor: string }): Promise<{ runId: string; status: "cancelling" } | null> {
  const db = deps.controlDb().client;
  const run = executor().live.get(input.runId);
  if (!run) {
    const row = await db.run.findUnique({ where: { id: input.runId }, select: { status: true, trigger: true } });
    if (!row) return null;
    const why =
      row.status === "running"
        ? `it is executed by another process (${row.trigger}); stop it there`
        : `it is ${row.status}`;
    throw new PipelineError("RUN_STATE", `run ${input.runId} cannot be cancelled: ${why}`, { where: input.runId });
  }
  if (!run.cancelRequested) {
    run.cancelRequested = true;
    run.controller.abort();
    await db.auditEvent.create({
      data: {
        runId: input.runId,
        type: "run.log",
        level: "warn",
        actor: input.actor,
        message: `cancel requested; run ${input.runId} stops after the bucket in progress`,
      },
    });
  }
  return { runId: input.runId, status: "cancelling" };
}

// ---------------------------------------------------------------------------------------------
// Rollback

/**
 * Rolls back a run and every later run not rolled back yet (newest first), as `summary-pipeline
 * rollback` does, with the config dashboard runs use. The engine decides what may be rolled back: it
 * refuses while a run holds the database (one executing in this process included: LOCKED) and for a
 * run it cannot undo (RUN_STATE). Audited either way; the refusal without a run id, as the CLI does,
 * since the engine may not know the run.
 */
export async function rollbackRun(deps: RunsDeps, input: { runId: string; actor: string }): Promise<RollbackResult> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const { config } = configOf(deps);
  let result: RollbackResult;
  try {
    result = await rollbackPipeline(config, input.runId);
  } catch (err) {
    await db.auditEvent
      .create({
        data: {
          type: "run.rollback",
          level: "error",
          actor: input.actor,
          message: `rollback of run ${input.runId} refused: ${describeError(err)}`,
          data: JSON.stringify({ trigger: "dashboard", runId: input.runId, code: err instanceof PipelineError ? err.code : "ENGINE" }),
        },
      })
      .catch((auditErr: unknown) => console.error("could not audit a refused rollback:", auditErr));
    throw err;
  }
  const ids = result.runs.map((r) => r.runId);
  // the runs' records show what happened to them; a run only the engine knows (CLI without a control
  // database) is left alone
  await db.run.updateMany({ where: { id: { in: ids } }, data: { status: "rolled_back", phase: "rolled back" } });
  await db.auditEvent.create({
    data: {
      runId: input.runId,
      type: "run.rollback",
      level: "warn",
      actor: input.actor,
      message:
        ids.length > 1
          ? `rolled back runs ${ids.join(", ")} (newest first, back to ${input.runId})`
          : `rolled back run ${input.runId}`,
      data: JSON.stringify({ trigger: "dashboard", ...result }),
    },
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// Reads

export interface RunSummary {
  id: string;
  status: RunStatus;
  mode: RunMode;
  trigger: string;
  dryRun: boolean;
  input: string | null;
  configVersionId: number | null;
  phase: string | null;
  bucketsDone: number;
  bucketsTotal: number;
  rowsWritten: number;
  counts: Partial<CaseCounts> | null;
  timings: Record<string, number> | null;
  error: string | null;
  resumeCount: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Wall time from start to finish (or to now while running). */
  durationMs: number | null;
  /** Executing in this server process (so it can be cancelled here). */
  live: boolean;
  cancelRequested: boolean;
  /** Estimated time to finish, while running. */
  etaMs: number | null;
}

export interface RunBucketRow {
  bucket: number;
  status: string;
  rows: number;
  /** Attempts over all executions of the run (a resume starts a bucket's count again). */
  attempts: number;
  /** Failed attempts over all executions. */
  failures: number;
  /** The error of the bucket's last failed attempt, also when a later attempt succeeded. */
  lastError: string | null;
  counts: Partial<CaseCounts> | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

/** One attempt at a bucket, from the audit trail (the bucket row keeps only the last). */
export interface BucketAttempt {
  id: number;
  ts: Date;
  bucket: number;
  attempt: number;
  level: string;
  ok: boolean;
  rows: number;
  durationMs: number | null;
  error: string | null;
}

export interface RunEventRow {
  id: number;
  ts: Date;
  type: string;
  level: string;
  actor: string | null;
  message: string;
}

export interface RunDetail extends RunSummary {
  plan: Plan | null;
  owner: string | null;
  buckets: RunBucketRow[];
  attempts: BucketAttempt[];
  /** Run-level audit events: start, resume, cancel, failure, finish. */
  events: RunEventRow[];
  configVersion: { id: number; createdAt: Date; author: string; comment: string | null; hash: string; active: boolean } | null;
}

function parseJson<T>(text: string | null | undefined): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function asStatus(s: string): RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(s) ? (s as RunStatus) : "failed";
}

type RunRow = Awaited<ReturnType<ControlDb["run"]["findFirstOrThrow"]>>;

function summarise(row: RunRow, now: Date): RunSummary {
  const live = executor().live.get(row.id);
  const status = asStatus(row.status);
  const started = row.startedAt ?? row.createdAt;
  const end = row.finishedAt ?? (status === "running" || status === "queued" ? now : null);
  const input = parseJson<unknown>(row.input);
  let etaMs: number | null = null;
  if (status === "running") {
    if (live?.progress) etaMs = live.progress.etaMs;
    else if (row.bucketsDone > 0 && row.bucketsTotal > row.bucketsDone) {
      etaMs = Math.round(((now.getTime() - started.getTime()) / row.bucketsDone) * (row.bucketsTotal - row.bucketsDone));
    }
  }
  return {
    id: row.id,
    status,
    mode: row.mode === "initial" ? "initial" : "incremental",
    trigger: row.trigger,
    dryRun: row.dryRun,
    input: typeof input === "string" ? input : row.input,
    configVersionId: row.configVersionId,
    phase: row.phase,
    bucketsDone: live?.progress?.bucketsDone ?? row.bucketsDone,
    bucketsTotal: live?.progress?.bucketsTotal ?? row.bucketsTotal,
    rowsWritten: live?.progress?.rows ?? row.rowsWritten,
    counts: parseJson<Partial<CaseCounts>>(row.counts),
    timings: parseJson<Record<string, number>>(row.timings),
    error: row.error,
    resumeCount: row.resumeCount,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: end ? Math.max(0, end.getTime() - started.getTime()) : null,
    live: live !== undefined,
    cancelRequested: live?.cancelRequested ?? false,
    etaMs,
  };
}

export interface ListRunsInput {
  limit: number;
  status?: RunStatus;
}

/** The most recent runs (dry runs are previews, not runs, and are left out). */
export async function listRuns(deps: RunsDeps, input: ListRunsInput): Promise<RunSummary[]> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const rows = await db.run.findMany({
    where: { dryRun: false, ...(input.status ? { status: input.status } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: input.limit,
  });
  const now = new Date();
  return rows.map((r) => summarise(r, now));
}

/** The run executing now (here or, recorded as running, in another live process), if any. */
export async function activeRun(deps: RunsDeps): Promise<RunSummary | null> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const here = [...executor().live.keys()];
  const row =
    (here.length ? await db.run.findFirst({ where: { id: { in: here } }, orderBy: { createdAt: "desc" } }) : null) ??
    (await db.run.findFirst({ where: { status: { in: ["running", "queued"] }, dryRun: false }, orderBy: { createdAt: "desc" } }));
  return row ? summarise(row, new Date()) : null;
}

interface AttemptData {
  bucket?: number;
  attempt?: number;
  rows?: number;
  durationMs?: number;
  error?: string | null;
}

/** A run with its buckets, attempts and run events. Null: no such run. */
export async function getRun(deps: RunsDeps, runId: string): Promise<RunDetail | null> {
  const db = deps.controlDb().client;
  await checkDeadRuns(db, deps);
  const row = await db.run.findUnique({ where: { id: runId }, include: { buckets: { orderBy: { bucket: "asc" } } } });
  if (!row) return null;
  const [events, configVersion] = await Promise.all([
    db.auditEvent.findMany({ where: { runId }, orderBy: { id: "asc" }, take: 5000 }),
    row.configVersionId
      ? db.configVersion.findUnique({
          where: { id: row.configVersionId },
          select: { id: true, createdAt: true, author: true, comment: true, hash: true, active: true },
        })
      : null,
  ]);
  const attempts: BucketAttempt[] = [];
  const runEvents: RunEventRow[] = [];
  for (const e of events) {
    if (e.type === "bucket.attempt") {
      const d = parseJson<AttemptData>(e.data) ?? {};
      attempts.push({
        id: e.id,
        ts: e.ts,
        bucket: d.bucket ?? -1,
        attempt: d.attempt ?? 0,
        level: e.level,
        ok: e.level === "info",
        rows: d.rows ?? 0,
        durationMs: d.durationMs ?? null,
        error: d.error ?? null,
      });
    } else {
      runEvents.push({ id: e.id, ts: e.ts, type: e.type, level: e.level, actor: e.actor, message: e.message });
    }
  }
  const byBucket = new Map<number, BucketAttempt[]>();
  for (const a of attempts) byBucket.set(a.bucket, [...(byBucket.get(a.bucket) ?? []), a]);
  const attemptsOf = (bucket: number) => byBucket.get(bucket) ?? [];
  return {
    ...summarise(row, new Date()),
    plan: parseJson<Plan>(row.plan),
    owner: row.owner,
    buckets: row.buckets.map((b) => ({
      bucket: b.bucket,
      status: b.status,
      rows: b.rows,
      attempts: Math.max(b.attempts, attemptsOf(b.bucket).length),
      failures: attemptsOf(b.bucket).filter((a) => !a.ok).length,
      lastError: attemptsOf(b.bucket).filter((a) => !a.ok).at(-1)?.error ?? b.error,
      counts: parseJson<Partial<CaseCounts>>(b.counts),
      error: b.error,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      durationMs: b.durationMs,
    })),
    attempts,
    events: runEvents,
    configVersion,
  };
}
