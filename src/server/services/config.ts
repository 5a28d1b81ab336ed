// Reads the pipeline config the dashboard serves: PIPELINE_CONFIG, else config/pipeline_config.json.
// Structural validation only (the zod schema); expression checks against the engine come with the
// config editor.
import fs from "node:fs";
import path from "node:path";
import { configSchema, formatPath, type PipelineConfig } from "@/pipeline/config/schema";
import { PipelineError, describeError } from "@/pipeline/errors";

export const DEFAULT_CONFIG_PATH = "config/pipeline_config.json";

/** Read at run time from the working directory (the comment keeps Next from tracing the project). */
export function pipelineConfigPath(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.PIPELINE_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export interface LoadedConfig {
  path: string;
  config: PipelineConfig;
}

export function loadPipelineConfig(file: string = pipelineConfigPath()): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(/*turbopackIgnore: true*/ file, "utf8");
  } catch (err) {
    throw new PipelineError("CONFIG_INVALID", `cannot read the pipeline config: ${describeError(err)}`, {
      where: file,
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PipelineError("CONFIG_INVALID", `the pipeline config is not valid JSON: ${describeError(err)}`, {
      where: file,
      cause: err,
    });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw new PipelineError("CONFIG_INVALID", "the pipeline config is invalid", {
      where: file,
      issues: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    });
  }
  return { path: file, config: parsed.data };
}
