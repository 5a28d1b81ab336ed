// Reading a config document: JSON syntax errors with their position, schema errors with field
// paths (`rolling_columns[2].mapper_expr: …`). A bad config never reaches the engine.
import fs from "node:fs";
import { z } from "zod";
import { PipelineError, type ErrorIssue } from "../errors";
import { configSchema, formatPath, type PipelineConfig } from "./schema";

export const DEFAULT_CONFIG_PATH = "config/pipeline_config.json";

export function zodIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Validates a parsed config document. */
export function parseConfig(doc: unknown, where = "config"): PipelineConfig {
  const r = configSchema.safeParse(doc);
  if (!r.success) {
    const issues = zodIssues(r.error);
    throw new PipelineError("CONFIG_INVALID", `invalid config (${where}), ${issues.length} problem(s)`, { where, issues });
  }
  return r.data;
}

/** Parses config JSON text. */
export function parseConfigText(text: string, where = "config"): PipelineConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new PipelineError("CONFIG_INVALID", `config ${where} is not valid JSON: ${msg}`, { where });
  }
  return parseConfig(doc, where);
}

export function loadConfigFile(file: string = DEFAULT_CONFIG_PATH): PipelineConfig {
  let text: string;
  try {
    text = fs.readFileSync(/*turbopackIgnore: true*/ file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PipelineError("CONFIG_INVALID", `cannot read config file ${file}${code ? ` (${code})` : ""}`, { where: file });
  }
  return parseConfigText(text, file);
}
