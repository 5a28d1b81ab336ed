// `summary-pipeline rollback RUNID`: restores summary, latest_summary, the watermark/manifest and
// quarantine to what they were before that run (and every later run, newest first), from the undo
// data the runs recorded. Audited in the control database, success or refusal.
import os from "node:os";
import { loadConfigFile } from "../config/load";
import { describeError, isPipelineError } from "../errors";
import { rollbackPipeline } from "../run";
import type { RollbackResult } from "../undo";
import { closeCliControlDb, explainLocked, isHeldByAnotherProcess, openCliControlDb } from "./control";
import { EXIT_OK } from "./exit-codes";
import type { CliIo } from "./io";
import { configPath } from "./run-command";

export interface RollbackFlags {
  config?: string;
  json?: boolean;
}

function actor(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return os.hostname();
  }
}

export async function rollbackCommand(runId: string, flags: RollbackFlags, io: CliIo): Promise<number> {
  const config = loadConfigFile(configPath(flags.config, io.env));
  let result: RollbackResult;
  try {
    result = await rollbackPipeline(config, runId);
  } catch (err) {
    const db = await openCliControlDb(io);
    try {
      const reported = isHeldByAnotherProcess(err) ? await explainLocked(err, config.engine.database, db) : err;
      await db?.auditEvent
        .create({
          data: {
            type: "run.rollback",
            level: "error",
            actor: actor(),
            message: `rollback of run ${runId} refused: ${describeError(reported)}`,
            data: JSON.stringify({ trigger: "cli", runId, code: isPipelineError(reported) ? reported.code : "ENGINE" }),
          },
        })
        .catch(() => undefined);
      throw reported;
    } finally {
      await closeCliControlDb(io);
    }
  }
  const ids = result.runs.map((r) => r.runId);
  const db = await openCliControlDb(io);
  try {
    if (db) {
      // the runs' records show what happened to them; a run only the engine knows is left alone
      await db.run.updateMany({ where: { id: { in: ids } }, data: { status: "rolled_back", phase: "rolled back" } });
      await db.auditEvent.create({
        data: {
          runId,
          type: "run.rollback",
          level: "warn",
          actor: actor(),
          message:
            ids.length > 1
              ? `rolled back runs ${ids.join(", ")} (newest first, back to ${runId})`
              : `rolled back run ${runId}`,
          data: JSON.stringify({ trigger: "cli", ...result }),
        },
      });
    }
  } finally {
    await closeCliControlDb(io);
  }
  if (flags.json) {
    io.out(`${JSON.stringify({ type: "rollback", ...result })}\n`);
  } else {
    const rows = (n: number) => n.toLocaleString("en-US");
    io.out(`rolled back ${ids.length === 1 ? "run" : "runs"} ${ids.join(", ")} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    io.out(`  accounts restored: ${rows(result.accounts)}; summary rows: ${rows(result.summaryRows.before)} → ${rows(result.summaryRows.after)}\n`);
    io.out(`  the input of ${ids.length === 1 ? "that run" : "those runs"} counts as new again: the next run reads it unless it is removed\n`);
  }
  return EXIT_OK;
}
