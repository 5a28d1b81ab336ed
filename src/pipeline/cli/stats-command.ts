// `summary-pipeline --stats`: table, partition, NULL-density and recent-run statistics of the engine
// database (SPEC §8), the same collection the dashboard's tables page shows; for people, or as one
// `{"type":"stats",…}` JSON line.
import fs from "node:fs";
import { loadConfigFile } from "../config/load";
import { closeEngine } from "../engine/duckdb";
import { describeError, PipelineError } from "../errors";
import { openEngineFor } from "../run";
import { collectStats, type PipelineStats } from "../stats/stats";
import { closeCliControlDb, explainLocked, openCliControlDbQuietly } from "./control";
import { EXIT_OK } from "./exit-codes";
import type { CliIo } from "./io";
import { renderStats } from "./render-stats";
import { configPath } from "./run-command";

export interface StatsFlags {
  config?: string;
  json?: boolean;
}

/** Stats of a database that was never built: nothing to open (opening would create the file). */
function emptyStats(database: string): PipelineStats {
  return { database: { path: database, bytes: 0, walBytes: "0 bytes", blockSize: 0 }, tables: [], partitions: null, nullDensity: [], runs: [] };
}

export async function statsCommand(flags: StatsFlags, io: CliIo): Promise<number> {
  const config = loadConfigFile(configPath(flags.config, io.env));
  const database = config.engine.database;
  let stats: PipelineStats;
  const exists = database === ":memory:" || fs.existsSync(database);
  if (!exists) {
    stats = emptyStats(database);
  } else {
    let engine;
    try {
      engine = await openEngineFor(config);
    } catch (err) {
      const msg = describeError(err);
      if (!/lock/i.test(msg)) throw new PipelineError("ENGINE", `cannot open engine database ${database}: ${msg}`, { where: database, cause: err });
      const db = await openCliControlDbQuietly(io);
      try {
        throw await explainLocked(new PipelineError("LOCKED", `engine database ${database} is held by another process: ${msg}`, { cause: err }), database, db);
      } finally {
        if (db) await closeCliControlDb(io);
      }
    }
    const conn = await engine.connect();
    try {
      stats = await collectStats(conn, config, { runs: 10 });
    } finally {
      conn.closeSync();
      await closeEngine(database);
    }
  }
  if (flags.json) io.out(JSON.stringify({ type: "stats", exists, ...stats }) + "\n");
  else io.out(renderStats(stats, { exists, summaryTable: config.tables.summary, sourceTable: config.source.kind === "table" ? config.source.name : null }));
  return EXIT_OK;
}
