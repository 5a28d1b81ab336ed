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

export function readTablesStats(engineHost: EngineHostSource): Promise<TablesStats> {
  return readEngine(engineHost, async (conn, config, host) => {
    const stats = await collectStats(conn, config, { runs: 20 });
    const summary = stats.tables.find((t) => t.name === config.tables.summary);
    return {
      ...stats,
      configPath: host.configPath,
      summaryTable: config.tables.summary,
      hasSummary: Boolean(summary?.exists && summary.rows > 0),
    };
  });
}
