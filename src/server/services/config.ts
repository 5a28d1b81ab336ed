// Reads the pipeline config the dashboard serves: PIPELINE_CONFIG, else config/pipeline_config.json,
// validated by the engine's own loader (the same schema and messages as the CLI).
import path from "node:path";
import { DEFAULT_CONFIG_PATH, loadConfigFile } from "@/pipeline/config/load";
import type { PipelineConfig } from "@/pipeline/config/schema";

export { DEFAULT_CONFIG_PATH };

/** Read at run time from the working directory (the comment keeps Next from tracing the project). */
export function pipelineConfigPath(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.PIPELINE_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export interface LoadedConfig {
  path: string;
  config: PipelineConfig;
}

export function loadPipelineConfig(file: string = pipelineConfigPath()): LoadedConfig {
  return { path: file, config: loadConfigFile(file) };
}
