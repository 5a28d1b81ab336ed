// The "Partitions & tables" page's data: the engine's stats (SPEC §8) plus what the page needs to
// say when there is nothing to show yet (which config, which summary table).
import { collectStats, type PipelineStats } from "@/pipeline/stats/stats";
import { readEngine, type EngineHostSource } from "./engine-read";

export interface TablesStats extends PipelineStats {
  configPath: string;
  summaryTable: string;
  /** The summary table exists and has rows: there is something to chart. */
  hasSummary: boolean;
}

// Collecting the stats scans the tables (about a second on a few hundred thousand rows); requests
// that arrive while a collection runs share it instead of starting their own, so many open pages
// (or a load test) cost one collection at a time and never more than one per database.
const inFlight = new Map<string, Promise<TablesStats>>();

export async function readTablesStats(engineHost: EngineHostSource): Promise<TablesStats> {
  const host = await engineHost();
  const key = `${host.engine.database}\n${host.configPath}`;
  const running = inFlight.get(key);
  if (running) return running;
  const collecting = readEngine(
    () => Promise.resolve(host),
    async (conn, config) => {
      const stats = await collectStats(conn, config, { runs: 20 });
      const summary = stats.tables.find((t) => t.name === config.tables.summary);
      return {
        ...stats,
        configPath: host.configPath,
        summaryTable: config.tables.summary,
        hasSummary: Boolean(summary?.exists && summary.rows > 0),
      };
    },
  ).finally(() => inFlight.delete(key));
  inFlight.set(key, collecting);
  return collecting;
}
