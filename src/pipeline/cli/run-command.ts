// The default command: one run of the pipeline (initial, incremental, dry run or resume), reported
// as JSON lines or for people, ending in an exit code a scheduler can act on.
import fs from "node:fs";
import type { RunMode, RunResult } from "../api";
import { DEFAULT_CONFIG_PATH, loadConfigFile } from "../config/load";
import type { PipelineConfig } from "../config/schema";
import type { ControlDb } from "../../control/db";
import { closeEngine } from "../engine/duckdb";
import { PipelineError } from "../errors";
import { reconcileWithEngine } from "../../control/recorder";
import { openEngineFor, runPipeline } from "../run";
import { listEngineRuns, STATE_SCHEMA, tableExists } from "../state/store";
import { closeCliControlDb, CliRunRecording, explainLocked, isHeldByAnotherProcess, openCliControlDb } from "./control";
import { exitCodeOfRun, isResumable } from "./exit-codes";
import type { CliIo } from "./io";
import { HumanReporter, JsonReporter, type RunReporter } from "./reporters";

export interface RunFlags {
  config?: string;
  mode?: RunMode;
  dryRun?: boolean;
  json?: boolean;
  resume?: string;
  /** Handled by stats-command.ts (main.ts dispatches). */
  stats?: boolean;
  /** Handled by optimize-command.ts (main.ts dispatches). */
  optimize?: boolean;
  /** Handled by check-command.ts (main.ts dispatches). */
  check?: boolean;
}

/** The config file: `--config`, else `$PIPELINE_CONFIG`, else the default path. */
export function configPath(flag: string | undefined, env: CliIo["env"]): string {
  return flag ?? (env.PIPELINE_CONFIG || undefined) ?? DEFAULT_CONFIG_PATH;
}

export async function runCommand(flags: RunFlags, io: CliIo): Promise<number> {
  if (flags.resume !== undefined && !/^[0-9a-f]{8}$/.test(flags.resume)) {
    throw new PipelineError("USAGE", `--resume takes a run id of 8 lowercase hex characters, got "${flags.resume}"`, { where: "--resume" });
  }
  const reporter: RunReporter = flags.json ? new JsonReporter(io, flags.resume) : new HumanReporter(io);
  // every run (dry runs and failures included) is mirrored into the control database
  const db = await openCliControlDb(io);
  const recording = new CliRunRecording(db, io, { mode: flags.mode, resume: flags.resume, dryRun: flags.dryRun });
  try {
    let config: PipelineConfig;
    const file = configPath(flags.config, io.env);
    try {
      config = loadConfigFile(file);
    } catch (err) {
      reporter.failure(err);
      await recording.fail(err);
      throw err;
    }
    await recording.prepare();
    const configVersion = await recording.configVersion(config, file);
    const result = await runWithInterrupts(config, configVersion, flags, reporter, io, recording, db);
    await recording.finish(result);
    reporter.result(result);
    if (result.status !== "succeeded") {
      const what = result.status === "cancelled" ? "was stopped" : result.status;
      io.err(`summary-pipeline: ${result.dryRun ? "dry run" : "run"} ${result.runId} ${what}${result.error ? `: ${result.error}` : ""}\n`);
      if (isResumable(result)) {
        const cfg = flags.config !== undefined ? ` --config ${flags.config}` : "";
        io.err(`resume with: summary-pipeline --resume ${result.runId}${cfg}\n`);
      }
    }
    return exitCodeOfRun(result);
  } finally {
    await closeCliControlDb(io);
  }
}

/** Ctrl+C (or SIGTERM) stops the run after its current bucket; a second one stops at once. */
async function runWithInterrupts(
  config: PipelineConfig,
  configVersion: string | null,
  flags: RunFlags,
  reporter: RunReporter,
  io: CliIo,
  recording: CliRunRecording,
  db: ControlDb | null,
): Promise<RunResult> {
  if (db) await reconcileFromEngine(db, config);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    controller.abort();
    io.err("summary-pipeline: stopping after the current bucket (interrupt again to stop at once)\n");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await runPipeline({
      config,
      configVersion,
      mode: flags.mode,
      dryRun: flags.dryRun ?? false,
      resume: flags.resume,
      onEvent: (e) => {
        reporter.event(e);
        recording.onEvent(e);
      },
      signal: controller.signal,
      trigger: "cli",
    });
  } catch (err) {
    // DuckDB's file lock: say who holds the database (the control database knows its running run)
    const e = isHeldByAnotherProcess(err) ? await explainLocked(err, config.engine.database, db) : err;
    reporter.failure(e);
    await recording.fail(e);
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeEngine(config.engine.database);
  }
}

/**
 * Runs the engine committed while their process died before telling the control database are set
 * right there first (best effort: an engine database that is absent or held elsewhere is skipped).
 */
async function reconcileFromEngine(db: ControlDb, config: PipelineConfig): Promise<void> {
  const database = config.engine.database;
  if (database !== ":memory:" && !fs.existsSync(database)) return;
  try {
    const engine = await openEngineFor(config);
    const conn = await engine.connect();
    try {
      if (!(await tableExists(conn, STATE_SCHEMA, "runs"))) return;
      await reconcileWithEngine(db, await listEngineRuns(conn, 100));
    } finally {
      conn.closeSync();
    }
  } catch {
    // the run itself reports a database it cannot open
  }
}

