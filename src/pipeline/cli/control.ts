// The CLI's side of the control database (runs, buckets, audit trail): every CLI run is mirrored
// there like a dashboard run, so the dashboard lists it and the audit trail has it. The engine is
// the source of truth: when the control database cannot be opened or written, the CLI says so in
// one warning line and the run goes on.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { versionForRun } from "../../control/config-versions";
import { closeControlDb, controlDbPath, DEFAULT_DATABASE_URL, isPostgresUrl, openControlDb, type ControlDb } from "../../control/db";
import { createRunRecorder, markDeadRunsInterrupted, type RunRecorder } from "../../control/recorder";
import { emptyCounts, type PipelineEvent, type RunMode, type RunResult } from "../api";
import type { PipelineConfig } from "../config/schema";
import { describeError, isPipelineError, PipelineError } from "../errors";
import type { CliIo } from "./io";

/**
 * prisma/migrations: $CONTROL_MIGRATIONS_DIR, else the working directory's (the project root, as
 * the dashboard resolves it), else the one shipped beside this file, so the CLI also records runs
 * when started from another folder.
 */
export function cliMigrationsDir(env: CliIo["env"], cwd: string = process.cwd()): string {
  if (env.CONTROL_MIGRATIONS_DIR) return path.resolve(env.CONTROL_MIGRATIONS_DIR);
  const here = path.join(cwd, "prisma", "migrations");
  if (fs.existsSync(here)) return here;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../prisma/migrations");
}

function warn(io: CliIo, text: string): void {
  io.err(`summary-pipeline: warning: ${text.replace(/\s*\n\s*/g, " ")}\n`);
}

/** The control database, or null (with one warning line) when it cannot be opened. */
export async function openCliControlDb(io: CliIo): Promise<ControlDb | null> {
  const url = io.env.DATABASE_URL || undefined;
  try {
    const db = openControlDb({ url, migrationsDir: cliMigrationsDir(io.env) }).client;
    // runs of CLI processes that were killed (and of a dashboard that is gone) show as interrupted
    await markDeadRunsInterrupted(db);
    return db;
  } catch (err) {
    warn(io, `control database unavailable, this run is not recorded for the dashboard: ${describeError(err)}`);
    await closeControlDb(url).catch(() => undefined);
    return null;
  }
}

/** The control database if it already exists and opens, else null, without a word (for reads). */
export async function openCliControlDbQuietly(io: CliIo): Promise<ControlDb | null> {
  const url = io.env.DATABASE_URL || undefined;
  try {
    const postgres = isPostgresUrl(url ?? DEFAULT_DATABASE_URL);
    if (!postgres && !fs.existsSync(controlDbPath(url))) return null;
    const db = openControlDb({ url, migrationsDir: cliMigrationsDir(io.env) }).client;
    // a PostgreSQL server is only reached (and migrated) by the first query
    if (postgres) await db.run.count();
    return db;
  } catch {
    await closeControlDb(url).catch(() => undefined);
    return null;
  }
}

export async function closeCliControlDb(io: CliIo): Promise<void> {
  await closeControlDb(io.env.DATABASE_URL || undefined).catch(() => undefined);
}

const actor = () => {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return os.hostname();
  }
};

/**
 * One CLI run mirrored into the control database: the engine's events go to the recorder as they
 * come, and the outcome — a result, or an error before or after the run had an id — is recorded
 * once at the end. All methods are no-ops without a control database, and never throw.
 */
export class CliRunRecording {
  private readonly recorder: RunRecorder | null;
  private runId: string | null = null;
  private mode: RunMode | null = null;
  private earlierTimings: Record<string, number> | null = null;
  private warned = false;

  constructor(
    private readonly db: ControlDb | null,
    private readonly io: CliIo,
    private readonly what: { mode?: string; resume?: string; dryRun?: boolean },
  ) {
    this.recorder = db ? createRunRecorder(db, { trigger: "cli", actor: actor() }) : null;
  }

  /** Reads what a resumed run's earlier executions took, so the record covers all of them. */
  async prepare(): Promise<void> {
    if (!this.db || !this.what.resume) return;
    try {
      const row = await this.db.run.findUnique({ where: { id: this.what.resume }, select: { timings: true } });
      this.earlierTimings = parseNumbers(row?.timings ?? null);
    } catch {
      this.earlierTimings = null;
    }
  }

  /**
   * The config version this run records: the stored version holding exactly this config, stored now
   * if none does. Null without a control database, for a resume (it keeps the version it started
   * with), or when the control database keeps failing (with a warning saying so).
   */
  async configVersion(config: PipelineConfig, source: string): Promise<string | null> {
    if (!this.db || this.what.resume) return null;
    try {
      return String(await versionForRun(this.db, config, { actor: actor(), source: path.resolve(source) }));
    } catch (err) {
      warn(this.io, `could not record the config version of this run: ${describeError(err)}`);
      return null;
    }
  }

  onEvent(e: PipelineEvent): void {
    if (e.type === "run") {
      this.runId = e.runId;
      this.mode = e.mode;
    }
    this.recorder?.onEvent(e);
  }

  /** Records a run's outcome (whatever its status). */
  async finish(result: RunResult): Promise<void> {
    if (!this.recorder) return;
    const whole = this.what.resume && !result.dryRun ? await this.withEarlierExecutions(result) : result;
    await this.recorder.finish(whole);
    this.checkRecorded();
  }

  /**
   * The run threw instead of returning a result: after it had an id, that is its failure; before,
   * (a refused start: config, LOCKED, unknown run) an audit event without a run says what happened.
   */
  async fail(err: unknown): Promise<void> {
    if (!this.recorder || !this.db) return;
    const code = isPipelineError(err) ? err.code : "ENGINE";
    if (this.runId) {
      await this.recorder.finish({
        runId: this.runId,
        status: "failed",
        mode: this.mode ?? (this.what.mode === "initial" ? "initial" : "incremental"),
        dryRun: this.what.dryRun ?? false,
        counts: emptyCounts(),
        timings: {},
        error: describeError(err),
        errorCode: code,
      });
      this.checkRecorded();
      return;
    }
    await this.recorder.flush();
    const what = this.what.resume ? `resume of run ${this.what.resume}` : `${this.what.dryRun ? "dry run" : `${this.what.mode ?? "incremental"} run`}`;
    try {
      await this.db.auditEvent.create({
        data: {
          runId: this.what.resume ?? null,
          type: "run.fail",
          level: "error",
          actor: actor(),
          message: `${what} could not start: ${describeError(err)}`,
          data: JSON.stringify({ trigger: "cli", code }),
        },
      });
    } catch (auditErr) {
      this.warnOnce(auditErr);
    }
    this.checkRecorded();
  }

  private checkRecorded(): void {
    const err = this.recorder?.error();
    if (err !== undefined) this.warnOnce(err);
  }

  private warnOnce(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    warn(this.io, `the control database missed events of this run: ${describeError(err)}`);
  }

  /** Rows written summed over the run's committed buckets, timings per phase over its executions. */
  private async withEarlierExecutions(result: RunResult): Promise<RunResult> {
    if (!this.db || !this.recorder) return result;
    try {
      await this.recorder.flush();
      const buckets = await this.db.runBucket.findMany({ where: { runId: result.runId, status: "succeeded" }, select: { counts: true } });
      const counts = { ...result.counts };
      for (const k of ["rowsInserted", "rowsUpdated", "latestRowsWritten"] as const) {
        const sum = buckets.reduce((s, b) => s + (parseNumbers(b.counts)?.[k] ?? 0), 0);
        counts[k] = Math.max(counts[k], sum);
      }
      const timings = { ...(this.earlierTimings ?? {}) };
      for (const [phase, ms] of Object.entries(result.timings)) timings[phase] = (timings[phase] ?? 0) + ms;
      return { ...result, counts, timings };
    } catch {
      return result;
    }
  }
}

function parseNumbers(json: string | null): Record<string, number> | null {
  if (!json) return null;
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "number")) as Record<string, number>;
  } catch {
    return null;
  }
}

/** DuckDB's own lock message names the holder's PID: `… Conflicting lock is held in /usr/bin/node (PID 1234) …`. */
function lockHolderPid(err: unknown): number | null {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const m = /\(PID (\d+)\)/.exec(e instanceof Error ? e.message : String(e));
    if (m) return Number(m[1]);
    e = e instanceof Error ? e.cause : undefined;
  }
  return null;
}

/** Whether an error is the engine database's file lock, held by another process. */
export function isHeldByAnotherProcess(err: unknown): err is PipelineError {
  return isPipelineError(err) && err.code === "LOCKED" && /held by another process/.test(err.message);
}

/**
 * The one line for an engine database held by another process: which run holds it, when the
 * control database shows one running (the one of the holding process if it can tell), and what to do.
 */
export async function explainLocked(err: PipelineError, database: string, db: ControlDb | null): Promise<PipelineError> {
  const pid = lockHolderPid(err);
  let holder: string | null = null;
  if (db) {
    try {
      const running = await db.run.findMany({
        where: { status: "running", dryRun: false },
        select: { id: true, trigger: true, owner: true },
        orderBy: [{ startedAt: "desc" }, { createdAt: "desc" }],
        take: 20,
      });
      const own = pid !== null ? running.find((r) => r.owner === `${os.hostname()}:${pid}`) : undefined;
      const run = own ?? running[0];
      if (run) holder = `run ${run.id}, ${run.trigger}`;
    } catch {
      holder = null;
    }
  }
  if (!holder && pid !== null) holder = `PID ${pid}`;
  const message = `engine database ${database} is held by another process${holder ? ` (${holder})` : ""} — wait for it or use the dashboard`;
  return new PipelineError("LOCKED", message, { where: database, cause: err });
}

/**
 * Runs `fn`, a command on the engine database of `database`: refused when no such database exists
 * (opening would create an empty one, and report on it), and a database held by another process
 * explained the way a run explains it (which run holds it, what to do).
 */
export async function onEngineDatabase<T>(io: CliIo, database: string, what: string, fn: () => Promise<T>): Promise<T> {
  if (database !== ":memory:" && !fs.existsSync(database)) {
    throw new PipelineError("USAGE", `engine database ${database} does not exist: nothing to ${what} (generate a source and run the pipeline first)`, {
      where: "engine.database",
    });
  }
  try {
    return await fn();
  } catch (err) {
    if (!isHeldByAnotherProcess(err)) throw err;
    const db = await openCliControlDbQuietly(io);
    try {
      throw await explainLocked(err, database, db);
    } finally {
      await closeCliControlDb(io);
    }
  }
}
