// `summary-pipeline --optimize`: rewrite the tables in (account, month) order, reclaim space and
// refresh statistics (refused while a run holds the database); audited in the control database.
import { loadConfigFile } from "../config/load";
import { optimizePipeline } from "../run";
import { closeCliControlDb, onEngineDatabase, openCliControlDbQuietly } from "./control";
import { EXIT_OK } from "./exit-codes";
import type { CliIo } from "./io";
import { configPath } from "./run-command";

export interface OptimizeFlags {
  config?: string;
  json?: boolean;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export async function optimizeCommand(flags: OptimizeFlags, io: CliIo): Promise<number> {
  const config = loadConfigFile(configPath(flags.config, io.env));
  const result = await onEngineDatabase(io, config.engine.database, "optimize", () => optimizePipeline(config, "cli"));
  const db = await openCliControlDbQuietly(io);
  try {
    await db?.auditEvent.create({
      data: {
        type: "optimize",
        level: "info",
        actor: "cli",
        message: `optimized ${result.tables.map((t) => t.name).join(", ")}: data ${mib(result.bytesBefore)} → ${mib(result.bytesAfter)}, file ${mib(result.fileBytesBefore)} → ${mib(result.fileBytesAfter)}`,
        data: JSON.stringify(result),
      },
    });
  } finally {
    await closeCliControlDb(io);
  }
  if (flags.json) {
    io.out(`${JSON.stringify({ type: "optimize", ...result })}\n`);
  } else {
    // DuckDB reuses the blocks it frees but seldom gives them back to the file system
    const grew = result.fileBytesAfter >= result.fileBytesBefore ? " (freed blocks are reused; DuckDB does not shrink the file)" : "";
    io.out(
      `optimized in ${(result.durationMs / 1000).toFixed(1)} s: data ${mib(result.bytesBefore)} → ${mib(result.bytesAfter)}; ` +
        `file ${mib(result.fileBytesBefore)} → ${mib(result.fileBytesAfter)}${grew}\n`,
    );
    for (const t of result.tables) io.out(`  ${t.name}: ${t.rows.toLocaleString("en-US")} rows rewritten in (account, month) order\n`);
    if (result.undoExpired.length > 0) {
      io.out(
        `  undo data expired (beyond optimization.undo_retention_runs = ${config.optimization.undo_retention_runs}): ` +
          `run(s) ${result.undoExpired.join(", ")} can no longer be rolled back\n`,
      );
    }
  }
  return EXIT_OK;
}
