// The engine host of the server process: the DuckDB engine of the configured database, opened
// once and shared by every request (openEngine keeps one instance per database file per process).
import type { PipelineConfig } from "@/pipeline/config/schema";
import type { Engine } from "@/pipeline/engine/duckdb";
import { openEngineFor } from "@/pipeline/run";
import { loadPipelineConfig } from "./services/config";

export interface EngineHost {
  engine: Engine;
  config: PipelineConfig;
  configPath: string;
}

/** The engine for the current config; the config file is re-read so an edit takes effect. */
export async function getEngineHost(): Promise<EngineHost> {
  const { path: configPath, config } = loadPipelineConfig();
  const engine = await openEngineFor(config);
  return { engine, config, configPath };
}
