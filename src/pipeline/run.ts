// The run orchestrator: claims the engine database, stages and classifies the input (one
// transaction), then applies each bucket in its own transaction together with its checkpoint,
// retrying transient failures, and finally advances the watermark/manifest (and swaps the tables
// of an initial build) in one last transaction. A resume continues from the first uncommitted bucket.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import type { DuckDBConnection } from "@duckdb/node-api";
import { emptyCounts, type CaseCounts, type PipelineEvent, type RunMode, type RunOptions, type RunResult, type RunStatus } from "./api";
import { checkConfigExpressions } from "./config/expr";
import { configSchema, type PipelineConfig } from "./config/schema";
import { execute, inTransaction, openEngine, queryOne, quoteIdent, quoteString, type Engine } from "./engine/duckdb";
import { describeError, isPipelineError, PipelineError } from "./errors";
import { applyBucket, prepareBucket } from "./execute/apply";
import { applyInitialBucket } from "./execute/initial";
import { backoffDelay, isRetryable } from "./execute/retry";
import { upgradeRecordIndex } from "./execute/index-upgrade";
import { ensureTargetTables, type ColumnTypes } from "./execute/tables";
import { buildLayout, type Layout } from "./layout";
import { buildPlan, classifyBatch, type ExistingState, type Plan } from "./plan/classify";
import { describeInput, discoverInput, fileIdentity, globBaseDirectory, inputIsEmpty, sourceKey, type RunInput, type SourceFile } from "./source/input";
import { buildStage, checkRequiredColumns, collectQuarantine, ensureQuarantineTable, insertQuarantine, loadRawInput, resolveKinds, retypeCsvColumns, stageCounts, type StageCounts } from "./source/stage";
import { accountKindOfType, monthKindOfType } from "./sql/months";
import {
  committedBuckets,
  ensureStateTables,
  ensureWriterTable,
  getEngineRun,
  readWriter,
  nextRunSeq,
  STATE_SCHEMA,
  stateTable,
  tableColumns,
  tableExists,
} from "./state/store";
import { buildTargets, liveTargets, stageTableName, workTable, type Targets } from "./targets";
import { optimizeTables, runsSinceOptimize, type OptimizeResult } from "./optimize";
import { checkInvariants, type InvariantViolation } from "./invariants";
import { beginUndo, recordFinalizeUndo, rollbackRuns, type RollbackResult } from "./undo";

/** Opens the engine of a config, with access to its source files' folder. */
export function openEngineFor(cfg: PipelineConfig): Promise<Engine> {
  const dirs = cfg.source.kind === "files" ? [globBaseDirectory(cfg.source.glob)] : [];
  return openEngine({
    database: cfg.engine.database,
    threads: cfg.engine.threads,
    memoryLimit: cfg.engine.memory_limit,
    allowedDirectories: dirs,
  });
}

// One writer per engine database in this process; other processes are kept out by DuckDB's file lock.
const writersKey = Symbol.for("summary-pipeline.active-writers");
function activeWriters(): Map<string, string> {
  const g = globalThis as unknown as Record<symbol, Map<string, string> | undefined>;
  let m = g[writersKey];
  if (!m) {
    m = new Map();
    g[writersKey] = m;
  }
  return m;
}

/** The run currently writing an engine database in this process, if any. */
export function activeRunOf(database: string): string | undefined {
  return activeWriters().get(database);
}

export function newRunId(): string {
  return randomBytes(4).toString("hex");
}

const owner = `${os.hostname()}:${process.pid}`;

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const runId = opts.resume ?? newRunId();
  return withEngineClaim(opts.config, runId, ", which is still running", async (conn, token) => {
    await markInterrupted(conn);
    return new RunContext(conn, opts, runId, token).execute();
  });
}

/**
 * `--optimize`: claims the engine database like a run (refused while a run holds it), rewrites the
 * tables in (account, month) order and reclaims space.
 */
export function optimizePipeline(cfg: PipelineConfig, trigger = "manual"): Promise<OptimizeResult> {
  return withEngineClaim(cfg, "optimize", "; optimize after it ends", (conn) => optimizeTables(conn, cfg, trigger));
}

/**
 * `rollback RUNID`: claims the engine database like a run and, in one transaction, restores the
 * tables, watermark/manifest and quarantine to what they were before that run (and every later one).
 */
export function rollbackPipeline(cfg: PipelineConfig, runId: string): Promise<RollbackResult> {
  return withEngineClaim(cfg, `rollback-${runId}`, "; roll back after it ends", async (conn) => {
    await markInterrupted(conn);
    return inTransaction(conn, () => rollbackRuns(conn, cfg, runId));
  });
}

/** The invariant checks over every row of the tables (on demand; runs check what they wrote). */
export function checkPipeline(cfg: PipelineConfig): Promise<{ violations: InvariantViolation[]; rows: number; durationMs: number }> {
  return withEngineClaim(cfg, "check", "; check after it ends", async (conn) => {
    const t0 = performance.now();
    const violations = await checkInvariants(conn, cfg);
    const rows = (await tableExists(conn, "main", cfg.tables.summary))
      ? Number((await queryOne(conn, `SELECT count(*) AS n FROM ${quoteIdent(cfg.tables.summary)}`))?.n ?? 0)
      : 0;
    return { violations, rows, durationMs: Math.round(performance.now() - t0) };
  });
}

/**
 * Opens the engine of a config and claims it for `claimId` (a run, or optimize/rollback/check):
 * refused while another claim of this process holds it (`whenHeld` ends the message), and fenced
 * by the writer token across processes; released whatever `fn` does.
 */
async function withEngineClaim<T>(
  cfg: PipelineConfig,
  claimId: string,
  whenHeld: string,
  fn: (conn: DuckDBConnection, token: number) => Promise<T>,
): Promise<T> {
  let engine: Engine;
  try {
    engine = await openEngineFor(cfg);
  } catch (err) {
    throw mapOpenError(err, cfg.engine.database);
  }
  const writers = activeWriters();
  const holder = writers.get(engine.database);
  if (holder) {
    throw new PipelineError("LOCKED", `engine database ${cfg.engine.database} is held by run ${holder}${whenHeld}`, {
      where: cfg.engine.database,
    });
  }
  writers.set(engine.database, claimId);
  const conn = await engine.connect();
  let token: number | null = null;
  try {
    await ensureStateTables(conn);
    await ensureWriterTable(conn);
    token = await claimWriter(conn, claimId);
    return await fn(conn, token);
  } finally {
    if (token !== null) await releaseWriter(conn, token).catch(() => undefined);
    writers.delete(engine.database);
    conn.closeSync();
  }
}

/**
 * Claims the engine database for a run (atomically: a concurrent claim on the same row fails the
 * transaction). A claim left by a process that is gone is taken over; the token fences it out.
 */
async function claimWriter(conn: DuckDBConnection, runId: string): Promise<number> {
  try {
    return await inTransaction(conn, async () => {
      const cur = await readWriter(conn);
      const active = new Set(activeWriters().values());
      if (cur.runId && cur.runId !== runId && active.has(cur.runId)) {
        throw new PipelineError("LOCKED", `engine database is held by run ${cur.runId} (${cur.owner ?? "unknown owner"})`, {
          where: cur.runId,
        });
      }
      const token = cur.token + 1;
      await execute(
        conn,
        `UPDATE ${stateTable("writer")} SET run_id = $1, token = $2, owner = $3, claimed_at = now() WHERE id = 1`,
        [runId, token, owner],
      );
      return token;
    });
  } catch (err) {
    if (isPipelineError(err)) throw err;
    throw new PipelineError("LOCKED", `engine database is being claimed by another run: ${describeError(err)}`, { cause: err });
  }
}

async function releaseWriter(conn: DuckDBConnection, token: number): Promise<void> {
  await execute(conn, `UPDATE ${stateTable("writer")} SET run_id = NULL, owner = NULL WHERE id = 1 AND token = $1`, [token]);
}

/** Inside a transaction: fails unless this run still holds the claim it took. */
export async function assertStillWriter(conn: DuckDBConnection, runId: string, token: number): Promise<void> {
  const cur = await readWriter(conn);
  if (cur.token !== token || cur.runId !== runId) {
    throw new PipelineError("LOCKED", `run ${runId} lost the engine database to run ${cur.runId ?? "(none)"}; it stops without committing`, {
      where: runId,
    });
  }
}

function mapOpenError(err: unknown, database: string): PipelineError {
  const msg = describeError(err);
  if (/lock/i.test(msg)) {
    return new PipelineError("LOCKED", `engine database ${database} is held by another process: ${msg}`, { where: database, cause: err });
  }
  return new PipelineError("ENGINE", `cannot open engine database ${database}: ${msg}`, { where: database, cause: err, retryable: true });
}

/** Runs left `running` by a process that is gone (this one holds the file lock) are interrupted. */
async function markInterrupted(conn: DuckDBConnection): Promise<void> {
  const active = new Set(activeWriters().values());
  const list = [...active].map(quoteString).join(", ") || "''";
  await execute(
    conn,
    `UPDATE ${stateTable("runs")} SET status = 'interrupted' WHERE status = 'running' AND run_id NOT IN (${list})`,
  );
}

/**
 * A run's staged input: temporary tables of its connection (the stage, the quarantine rows of its
 * invalid records), the work table it is classified into, its counts, and the layout and column
 * types resolved from it.
 */
interface Staged {
  stage: string;
  quarantineRows: string;
  work: string;
  layout: Layout;
  counts: StageCounts;
  types: ColumnTypes;
}

interface Recorded {
  config: PipelineConfig;
  mode: RunMode;
  input: RunInput;
  seq: number;
  ingestTs: string;
  /** The control plane's config version the run records (a resume keeps the one it started with). */
  configVersion: string | null;
}

class RunContext {
  private readonly counts: CaseCounts = emptyCounts();
  private readonly timings: Record<string, number> = {};
  private readonly emit: (e: PipelineEvent) => void;
  private readonly now: () => Date;
  private plan: Plan | undefined;
  private mode: RunMode;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly opts: RunOptions,
    private readonly runId: string,
    private readonly token: number,
  ) {
    this.emit = opts.onEvent ?? (() => undefined);
    this.now = opts.now ?? (() => new Date());
    this.mode = opts.mode ?? "incremental";
  }

  private async timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[phase] = Math.round((this.timings[phase] ?? 0) + performance.now() - t0);
    }
  }

  private result(status: RunStatus, error?: unknown): RunResult {
    return {
      runId: this.runId,
      status,
      mode: this.mode,
      dryRun: this.opts.dryRun ?? false,
      counts: { ...this.counts },
      timings: { ...this.timings },
      plan: this.plan,
      ...(error !== undefined
        ? { error: describeError(error), errorCode: isPipelineError(error) ? error.code : "ENGINE" }
        : {}),
    };
  }

  async execute(): Promise<RunResult> {
    const t0 = performance.now();
    let recorded: Recorded;
    if (this.opts.resume) {
      recorded = await this.loadForResume();
      this.announce(recorded);
    } else {
      recorded = await this.startNew();
      this.announce(recorded);
      if (inputIsEmpty(recorded.input)) {
        // re-running an ingested batch changes nothing, and says so
        this.emit({ type: "log", runId: this.runId, level: "info", message: `nothing new to ingest (${describeInput(recorded.input)})` });
        const source = recorded.config.source;
        const folder = source.kind === "files" ? globBaseDirectory(source.glob) : null;
        if (folder !== null && !fs.existsSync(folder)) {
          // most likely a mistyped source.glob: said, not silently taken for an empty inbox
          this.emit({ type: "log", runId: this.runId, level: "warn", message: `the folder of source.glob (${folder}) does not exist` });
        }
        this.timings.total = Math.round(performance.now() - t0);
        if (!this.opts.dryRun) await this.setStatus("succeeded", null);
        return this.result("succeeded");
      }
      if (this.opts.dryRun) return await this.dryRun(recorded);
    }
    try {
      const layout = await this.prepare(recorded);
      await this.executeBuckets(recorded, layout);
      if (this.opts.signal?.aborted) {
        await this.setStatus("cancelled", null);
        return this.result("cancelled");
      }
      await this.timed("finalize", () => this.finalize(recorded));
      await this.autoOptimize(recorded.config);
      this.timings.total = Math.round(performance.now() - t0);
      // finalize committed the timings up to it: the total (and an automatic optimize) come after
      // (the run has committed: a failure here is reported, not fatal)
      await execute(this.conn, `UPDATE ${stateTable("runs")} SET timings_json = $2 WHERE run_id = $1`, [this.runId, JSON.stringify(this.timings)]).catch(
        (err: unknown) => this.emit({ type: "log", runId: this.runId, level: "warn", message: `could not record the run's timings: ${describeError(err)}` }),
      );
      this.emit({ type: "log", runId: this.runId, level: "info", message: "run succeeded" });
      return this.result("succeeded");
    } catch (err) {
      this.timings.total = Math.round(performance.now() - t0);
      await this.setStatus("failed", describeError(err)).catch(() => undefined);
      this.emit({ type: "log", runId: this.runId, level: "error", message: describeError(err) });
      return this.result("failed", err);
    }
  }

  private announce(rec: Recorded): void {
    this.emit({
      type: "run",
      runId: this.runId,
      status: "running",
      mode: this.mode,
      resumed: !!this.opts.resume,
      dryRun: this.opts.dryRun ?? false,
      input: describeInput(rec.input),
      configVersion: rec.configVersion,
      owner,
    });
  }

  /** Every `auto_every_n_runs` successful runs (counted across runs), the tables are optimized. */
  private async autoOptimize(cfg: PipelineConfig): Promise<void> {
    const every = cfg.optimization.auto_every_n_runs;
    if (every <= 0 || (await runsSinceOptimize(this.conn)) < every) return;
    try {
      const r = await this.timed("optimize", () => optimizeTables(this.conn, cfg, `auto after run ${this.runId}`));
      this.emit({
        type: "log",
        runId: this.runId,
        level: "info",
        message: `optimized the tables after ${every} runs: data ${r.bytesBefore} → ${r.bytesAfter} bytes, file ${r.fileBytesBefore} → ${r.fileBytesAfter} bytes`,
      });
    } catch (err) {
      // the run itself succeeded; a failed optimization is reported, not fatal
      this.emit({ type: "log", runId: this.runId, level: "warn", message: `automatic optimize failed: ${describeError(err)}` });
    }
  }

  private async summaryIsEmpty(cfg: PipelineConfig): Promise<boolean> {
    if (!(await tableExists(this.conn, "main", cfg.tables.summary))) return true;
    const r = await queryOne(this.conn, `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdent(cfg.tables.summary)} LIMIT 1)`);
    return Number(r?.n ?? 0) === 0;
  }

  private async startNew(): Promise<Recorded> {
    const cfg = this.opts.config;
    if (this.mode === "incremental" && (await this.summaryIsEmpty(cfg))) this.mode = "initial";
    const input = await this.timed("discover", () => discoverInput(this.conn, cfg, this.mode === "initial"));
    // the config's expressions are checked before a run is recorded, even when there is nothing new
    await checkConfigExpressions(this.conn, cfg, await this.sourceColumnNames(input));
    const seq = await nextRunSeq(this.conn);
    const ingestTs = this.now().toISOString().replace("T", " ").replace("Z", "");
    const rec: Recorded = { config: cfg, mode: this.mode, input, seq, ingestTs, configVersion: this.opts.configVersion ?? null };
    if (!this.opts.dryRun) {
      await execute(
        this.conn,
        `INSERT INTO ${stateTable("runs")} (run_id, seq, status, mode, config_json, config_version, input_json, owner, ingest_ts, created_at)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, CAST($8 AS TIMESTAMP), CAST($9 AS TIMESTAMP))`,
        [this.runId, seq, this.mode, JSON.stringify(cfg), rec.configVersion, JSON.stringify(input), owner, ingestTs, ingestTs],
      );
      await beginUndo(this.conn, this.runId, this.mode === "initial");
    }
    return rec;
  }

  /**
   * The source's columns the config's expressions are checked against before a run is recorded:
   * a table's; none for files (their shape is checked: a column a file lacks fails the run at
   * staging, naming the file, as a missing source column does, SPEC §9).
   */
  private async sourceColumnNames(input: RunInput): Promise<string[] | null> {
    return input.kind === "table" ? (await tableColumns(this.conn, "main", input.table)).map((c) => c.name) : null;
  }

  private async loadForResume(): Promise<Recorded> {
    const run = await getEngineRun(this.conn, this.runId);
    if (!run) throw new PipelineError("RUN_STATE", `no run ${this.runId} in this engine database`, { where: this.runId });
    if (run.status === "succeeded") throw new PipelineError("RUN_STATE", `run ${this.runId} already succeeded; nothing to resume`, { where: this.runId });
    if (!run.inputJson) throw new PipelineError("RUN_STATE", `run ${this.runId} recorded no input; start a new run`, { where: this.runId });
    // a run started after it has taken its input (the watermark or manifest had not moved): the
    // rest of this run's buckets would apply that input again over the later run's tables
    const later = await queryOne(
      this.conn,
      `SELECT run_id, status FROM ${stateTable("runs")} WHERE seq > $1 AND status <> 'rolled_back' ORDER BY seq LIMIT 1`,
      [run.seq],
    );
    if (later) {
      throw new PipelineError(
        "RUN_STATE",
        `run ${this.runId} cannot be resumed: run ${String(later.run_id)} (${String(later.status)}) started after it and took its input; start a new run, or roll back the later runs first`,
        { where: this.runId },
      );
    }
    const config = configSchema.parse(JSON.parse(run.configJson));
    this.mode = run.mode === "initial" ? "initial" : "incremental";
    await execute(this.conn, `UPDATE ${stateTable("runs")} SET status = 'running', owner = $2, error = NULL WHERE run_id = $1`, [this.runId, owner]);
    this.emit({ type: "log", runId: this.runId, level: "info", message: `resuming run ${this.runId}` });
    return {
      config,
      mode: this.mode,
      input: JSON.parse(run.inputJson) as RunInput,
      seq: run.seq,
      ingestTs: run.ingestTs ?? this.now().toISOString(),
      configVersion: run.configVersion,
    };
  }

  private targetsOf(rec: Recorded): Targets {
    return rec.mode === "initial" ? buildTargets(rec.config, this.runId) : liveTargets(rec.config);
  }

  /** Stages and classifies the input unless a committed work table already exists (resume). */
  private async prepare(rec: Recorded): Promise<Layout> {
    const run = await getEngineRun(this.conn, this.runId);
    if (run?.layoutJson && (await tableExists(this.conn, STATE_SCHEMA, `work_${this.runId}`))) {
      const planJson = run.planJson;
      if (planJson) this.plan = JSON.parse(planJson) as Plan;
      this.addPlanCounts();
      return JSON.parse(run.layoutJson) as Layout;
    }
    if (this.opts.resume && rec.input.kind === "files") await this.refreshFiles(rec, rec.input.files);
    const staged = await this.stageInput(rec);
    try {
      // an old-format record index is brought up to date first, in a transaction of its own (a
      // pure format change), so that classification reads it outside the prepare transaction
      if (rec.mode === "incremental") {
        await inTransaction(this.conn, () => upgradeRecordIndex(this.conn, staged.layout, liveTargets(rec.config), rec.config.tables.summary));
      }
      const plan = await this.classifyStaged(rec, staged);
      return await inTransaction(this.conn, async () => {
        await this.commitStaged(rec, staged);
        this.plan = plan;
        this.addPlanCounts();
        await execute(
          this.conn,
          `UPDATE ${stateTable("runs")} SET layout_json = $2, plan_json = $3, n_buckets = $4 WHERE run_id = $1`,
          [this.runId, JSON.stringify(staged.layout), JSON.stringify(plan), plan.buckets.count],
        );
        return staged.layout;
      });
    } finally {
      await this.dropStaged(staged);
    }
  }

  /**
   * A resume that stages again reads the files as they are now (one fixed after the run failed on
   * it, say): their recorded size and hash, which go into the manifest, follow the content.
   */
  private async refreshFiles(rec: Recorded, files: SourceFile[]): Promise<void> {
    let changed = false;
    for (const f of files) {
      const { size, hash } = await fileIdentity(f.path);
      if (size === f.size && hash === f.hash) continue;
      f.size = size;
      f.hash = hash;
      changed = true;
      this.emit({ type: "log", runId: this.runId, level: "info", message: `${f.path} changed since run ${this.runId} started: its current content is read` });
    }
    if (changed) await execute(this.conn, `UPDATE ${stateTable("runs")} SET input_json = $2 WHERE run_id = $1`, [this.runId, JSON.stringify(rec.input)]);
  }

  private addPlanCounts(): void {
    if (!this.plan) return;
    Object.assign(this.counts, this.plan.counts);
    this.emit({ type: "plan", runId: this.runId, plan: this.plan });
  }

  /** Stages and classifies like a run, inside a transaction it rolls back: nothing is written. */
  private async dryRun(rec: Recorded): Promise<RunResult> {
    let staged: Staged | undefined;
    try {
      staged = await this.stageInput(rec);
      const s = staged;
      await this.conn.run("BEGIN TRANSACTION");
      try {
        if (rec.mode === "incremental") await upgradeRecordIndex(this.conn, s.layout, liveTargets(rec.config), rec.config.tables.summary);
        this.plan = await this.classifyStaged(rec, s);
        this.addPlanCounts();
      } finally {
        await this.conn.run("ROLLBACK").catch(() => undefined);
      }
    } catch (err) {
      return this.result("failed", err);
    } finally {
      if (staged) await this.dropStaged(staged);
    }
    return this.result("succeeded");
  }

  /**
   * Reads the input and stages it, into temporary tables of the connection, outside any
   * transaction: nothing durable is written, and a table created inside a transaction is read
   * back at about half speed by the statements after it.
   */
  private async stageInput(rec: Recorded): Promise<Staged> {
    const cfg = rec.config;
    const raw = `__sp_raw_${this.runId}`;
    const stage = quoteIdent(stageTableName(this.runId));
    const quarantineRows = `__sp_quarantine_${this.runId}`;
    const sourceName = rec.input.kind === "table" ? rec.input.table : cfg.source.kind === "files" ? cfg.source.glob : "source";
    try {
      const columns = await this.timed("read", () => loadRawInput(this.conn, cfg, rec.input, raw));
      checkRequiredColumns(cfg, columns, sourceName);
      // the existing summary fixes the kinds of keys and months
      const existing = rec.mode === "incremental" ? await existingKinds(this.conn, cfg) : null;
      const keysReadAsText = rec.input.kind === "files" && rec.input.format === "csv";
      const kinds = await resolveKinds(this.conn, cfg, raw, columns, existing, { keysReadAsText });
      const exprs = await checkConfigExpressions(this.conn, cfg, columns.map((c) => c.name));
      if (keysReadAsText) await this.timed("read", () => retypeCsvColumns(this.conn, cfg, raw, exprs));
      const layout = buildLayout(cfg, kinds, exprs);
      const fixedTypes = existing ? await existingScalarTypes(this.conn, cfg, layout) : undefined;
      const common = {
        rawTable: raw,
        stageTable: stage,
        now: this.now(),
        hasFileColumn: rec.input.kind === "files",
        hasPreReason: rec.input.kind === "files" && rec.input.format === "csv",
        accountIsText: columns.find((c) => c.name.toLowerCase() === cfg.keys.account.toLowerCase())?.type === "VARCHAR",
        sourceName,
      };
      return await this.timed("stage", async () => {
        await buildStage(this.conn, { ...common, cfg, layout, ingestTs: rec.ingestTs, fixedTypes });
        await collectQuarantine(this.conn, { ...common, rowsTable: quarantineRows, runId: this.runId });
        const stageCols = await tableColumns(this.conn, "temp", stageTableName(this.runId));
        const typeOf = (n: string) => stageCols.find((c) => c.name === n)?.type ?? "VARCHAR";
        return {
          stage,
          quarantineRows,
          work: workTable(this.runId),
          layout,
          counts: await stageCounts(this.conn, stage),
          types: { scalars: layout.scalars.map((_, i) => normaliseType(typeOf(`s${i}`))), dflag: normaliseType(typeOf("dflag")) },
        };
      });
    } finally {
      // the raw input is not needed past staging (the quarantine rows hold what they need of it)
      await execute(this.conn, `DROP TABLE IF EXISTS ${quoteIdent(raw)}`).catch(() => undefined);
    }
  }

  /**
   * Classifies the staged input into the run's work table (dropping the stage once it is
   * de-duplicated) and returns the plan; outside a transaction (a dry run's aside, which rolls
   * everything back).
   */
  private async classifyStaged(rec: Recorded, staged: Staged): Promise<Plan> {
    const cfg = rec.config;
    const live = liveTargets(cfg);
    // an initial build classifies against nothing; an incremental run against the live tables it has
    const has = async (schema: string, name: string) => tableExists(this.conn, schema, name);
    const existing: ExistingState | null =
      rec.mode === "initial"
        ? null
        : (await has("main", live.names.latest)) && (await has(STATE_SCHEMA, live.names.tail)) && (await has(STATE_SCHEMA, live.names.records))
          ? { latest: live.latest, tail: live.tail, records: live.records }
          : null;
    const cls = await this.timed("classify", () =>
      classifyBatch(this.conn, { cfg, layout: staged.layout, existing, stage: staged.stage, into: staged.work, runSeq: rec.seq }),
    );
    return await buildPlan(this.conn, {
      runId: this.runId,
      mode: rec.mode,
      input: describeInput(rec.input),
      work: staged.work,
      layout: staged.layout,
      bucketCount: cls.bucketCount,
      read: staged.counts.read,
      quarantined: staged.counts.quarantined,
      duplicates: cls.duplicates,
      equalTimestampConflicts: cls.equalTimestampConflicts,
    });
  }

  /** Inside the prepare transaction: quarantine and the target tables (the work table is committed already). */
  private async commitStaged(rec: Recorded, staged: Staged): Promise<void> {
    const cfg = rec.config;
    const targets = this.targetsOf(rec);
    await ensureQuarantineTable(this.conn, cfg.tables.quarantine);
    if (rec.mode === "initial") await dropBuildTables(this.conn, targets);
    await insertQuarantine(this.conn, cfg.tables.quarantine, staged.quarantineRows);
    await ensureTargetTables(this.conn, targets, staged.layout, staged.types);
  }

  private async dropStaged(staged: Staged): Promise<void> {
    for (const t of [staged.stage, quoteIdent(staged.quarantineRows)]) {
      await execute(this.conn, `DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    }
  }

  private async executeBuckets(rec: Recorded, layout: Layout): Promise<void> {
    const plan = this.plan;
    if (!plan) throw new Error("no plan");
    const targets = this.targetsOf(rec);
    const work = workTable(this.runId);
    const done = await committedBuckets(this.conn, this.runId);
    const buckets = plan.buckets.rows.map((b) => b.bucket);
    const total = buckets.length;
    let finished = buckets.filter((b) => done.has(b)).length;
    let rows = 0;
    // a resume's totals include what the buckets committed before it wrote
    for (const b of buckets) {
      const c = done.get(b);
      if (!c) continue;
      this.counts.rowsInserted += c.rowsInserted;
      this.counts.rowsUpdated += c.rowsUpdated;
      this.counts.latestRowsWritten += c.latestRowsWritten;
      rows += c.rowsInserted + c.rowsUpdated;
    }
    const started = performance.now();
    let executedHere = 0;
    const res = rec.config.resilience;
    const sleep = this.opts.hooks?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const random = this.opts.hooks?.random ?? Math.random;
    this.progress("execute", finished, total, rows, null);
    for (const bucket of buckets) {
      if (done.has(bucket)) continue;
      if (this.opts.signal?.aborted) return;
      for (let attempt = 0; ; attempt++) {
        const t0 = performance.now();
        try {
          const r = await this.timed("execute", async () => {
            // an incremental bucket's rows are computed before the transaction (temporary tables only)
            const prepared = rec.mode === "initial" ? null : await prepareBucket(this.conn, { layout, targets, work, bucket });
            return inTransaction(this.conn, async () => {
              await assertStillWriter(this.conn, this.runId, this.token);
              const out = prepared
                ? await applyBucket(this.conn, { layout, targets, work, bucket, undoRunId: this.runId, prepared })
                : await applyInitialBucket(this.conn, { layout, targets, work, bucket });
              await this.opts.hooks?.beforeBucketCommit?.(bucket, attempt);
              await execute(
                this.conn,
                `INSERT INTO ${stateTable("checkpoints")} VALUES ($1, $2, $3, $4, now())`,
                [this.runId, bucket, out.rowsInserted + out.rowsUpdated, JSON.stringify(out)],
              );
              return out;
            });
          });
          this.counts.rowsInserted += r.rowsInserted;
          this.counts.rowsUpdated += r.rowsUpdated;
          this.counts.latestRowsWritten += r.latestRowsWritten;
          rows += r.rowsInserted + r.rowsUpdated;
          this.emit({
            type: "bucket",
            runId: this.runId,
            bucket,
            attempt,
            status: "succeeded",
            rows: r.rowsInserted + r.rowsUpdated,
            durationMs: Math.round(performance.now() - t0),
            counts: { rowsInserted: r.rowsInserted, rowsUpdated: r.rowsUpdated, latestRowsWritten: r.latestRowsWritten },
          });
          break;
        } catch (err) {
          const retryable = isRetryable(err) && attempt < res.retry_count;
          this.emit({
            type: "bucket",
            runId: this.runId,
            bucket,
            attempt,
            status: "failed",
            rows: 0,
            durationMs: Math.round(performance.now() - t0),
            counts: {},
            error: describeError(err),
            retryable,
          });
          if (!retryable) throw err;
          await sleep(backoffDelay({ retryCount: res.retry_count, baseMs: res.backoff_base_ms, maxMs: res.backoff_max_ms }, attempt, random));
        }
      }
      finished++;
      executedHere++;
      const per = (performance.now() - started) / executedHere;
      this.progress("execute", finished, total, rows, Math.round(per * (total - finished)));
    }
  }

  private progress(phase: string, done: number, total: number, rows: number, etaMs: number | null): void {
    this.emit({ type: "progress", runId: this.runId, phase, bucketsDone: done, bucketsTotal: total, rows, etaMs });
  }

  private async finalize(rec: Recorded): Promise<void> {
    const cfg = rec.config;
    const work = workTable(this.runId);
    await inTransaction(this.conn, async () => {
      await assertStillWriter(this.conn, this.runId, this.token);
      // what finalize replaces is kept for a rollback: the watermark, and the live tables of an
      // initial build (renamed beside, not copied)
      await recordFinalizeUndo(this.conn, {
        runId: this.runId,
        initial: rec.mode === "initial",
        watermarkSource: rec.input.kind === "table" && rec.input.toTs !== null ? sourceKey(cfg) : null,
        cfg,
      });
      if (rec.mode === "initial") {
        const b = buildTargets(cfg, this.runId);
        const live = liveTargets(cfg);
        await execute(this.conn, `ALTER TABLE ${b.summary} RENAME TO ${quoteIdent(live.names.summary)}`);
        await execute(this.conn, `ALTER TABLE ${b.latest} RENAME TO ${quoteIdent(live.names.latest)}`);
        await execute(this.conn, `ALTER TABLE ${b.records} RENAME TO ${quoteIdent(live.names.records)}`);
        await execute(this.conn, `ALTER TABLE ${b.tail} RENAME TO ${quoteIdent(live.names.tail)}`);
        await execute(this.conn, `DELETE FROM ${stateTable("manifest")}`);
      }
      if (rec.input.kind === "table") {
        if (rec.input.toTs !== null) {
          await execute(
            this.conn,
            `INSERT OR REPLACE INTO ${stateTable("watermark")} VALUES ($1, CAST($2 AS TIMESTAMP), $3)`,
            [sourceKey(cfg), rec.input.toTs, this.runId],
          );
        }
      } else {
        for (const f of rec.input.files) {
          await execute(
            this.conn,
            `INSERT INTO ${stateTable("manifest")} VALUES ($1, $2, $3, $4, now())`,
            [f.path, f.size, f.hash, this.runId],
          );
        }
      }
      await execute(this.conn, `DROP TABLE IF EXISTS ${work}`);
      await execute(
        this.conn,
        `UPDATE ${stateTable("runs")} SET status = 'succeeded', counts_json = $2, timings_json = $3, finished_at = now(), error = NULL WHERE run_id = $1`,
        [this.runId, JSON.stringify(this.counts), JSON.stringify(this.timings)],
      );
    });
  }

  private async setStatus(status: RunStatus, error: string | null): Promise<void> {
    await execute(
      this.conn,
      `UPDATE ${stateTable("runs")} SET status = $2, error = $3, counts_json = $4, timings_json = $5, finished_at = now() WHERE run_id = $1`,
      [this.runId, status, error, JSON.stringify(this.counts), JSON.stringify(this.timings)],
    );
  }
}

async function existingKinds(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
): Promise<{ accountKind: "BIGINT" | "VARCHAR"; monthKind: "date" | "yyyymm" | "yyyy-mm" } | null> {
  if (!(await tableExists(conn, "main", cfg.tables.summary))) return null;
  const cols = await tableColumns(conn, "main", cfg.tables.summary);
  const a = cols.find((c) => c.name === cfg.keys.account);
  const m = cols.find((c) => c.name === cfg.keys.month);
  if (!a || !m) return null;
  const accountKind = accountKindOfType(a.type);
  const monthKind = monthKindOfType(m.type);
  return accountKind && monthKind ? { accountKind, monthKind } : null;
}

/** The summary's types of the scalar columns and the delete flag (null for a column it lacks). */
async function existingScalarTypes(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  layout: Layout,
): Promise<{ scalars: (string | null)[]; dflag: string | null }> {
  const cols = await tableColumns(conn, "main", cfg.tables.summary);
  const typeOf = (name: string) => cols.find((c) => c.name === name)?.type ?? null;
  return { scalars: layout.scalars.map((sc) => typeOf(sc.name)), dflag: layout.deleteFlag ? typeOf(layout.deleteFlag.column) : null };
}

async function dropBuildTables(conn: DuckDBConnection, t: Targets): Promise<void> {
  for (const name of [t.summary, t.latest, t.records, t.tail]) await execute(conn, `DROP TABLE IF EXISTS ${name}`);
}

/** A NULL-typed expression column becomes VARCHAR rather than the engine's "NULL" type. */
function normaliseType(t: string): string {
  return t === '"NULL"' || t === "NULL" ? "VARCHAR" : t;
}
