// `summary-pipeline --check`: the invariant checks over every row of the summary tables (SPEC §3,
// issue #6) — array lengths, history[i] of month m = history[0] of month m−i, grids equal to their
// arrays, latest_summary = the newest live row, no duplicate (account, month). Runs check only what
// they wrote; this reads everything. Audited; exit 1 when a check fails.
import { loadConfigFile } from "../config/load";
import { PipelineError } from "../errors";
import { checkPipeline } from "../run";
import { closeCliControlDb, onEngineDatabase, openCliControlDbQuietly } from "./control";
import { EXIT_OK } from "./exit-codes";
import type { CliIo } from "./io";
import { configPath } from "./run-command";

export async function checkCommand(flags: { config?: string; json?: boolean }, io: CliIo): Promise<number> {
  const config = loadConfigFile(configPath(flags.config, io.env));
  const result = await onEngineDatabase(io, config.engine.database, "check", () => checkPipeline(config));
  const db = await openCliControlDbQuietly(io);
  try {
    await db?.auditEvent
      .create({
        data: {
          type: "check",
          level: result.violations.length ? "error" : "info",
          actor: "cli",
          message: result.violations.length
            ? `invariant check over ${result.rows} rows: ${result.violations.map((v) => `${v.check} (${v.rows})`).join("; ")}`
            : `invariant check over ${result.rows} rows: all hold`,
          data: JSON.stringify(result),
        },
      })
      .catch(() => undefined);
  } finally {
    await closeCliControlDb(io);
  }
  if (flags.json) io.out(`${JSON.stringify({ type: "check", ok: result.violations.length === 0, ...result })}\n`);
  else if (result.violations.length === 0) {
    io.out(`all invariants hold over ${result.rows.toLocaleString("en-US")} summary rows (${(result.durationMs / 1000).toFixed(1)} s)\n`);
  }
  if (result.violations.length > 0) {
    throw new PipelineError("INVARIANT", `${result.violations.length} invariant check(s) fail over ${result.rows} summary rows`, {
      issues: result.violations.map((v) => ({ path: v.check, message: `${v.rows} row(s)` })),
    });
  }
  return EXIT_OK;
}
