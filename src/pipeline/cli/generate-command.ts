// `summary-pipeline generate`: a seeded synthetic source written into the configured source.
import { loadConfigFile } from "../config/load";
import { closeEngine } from "../engine/duckdb";
import { generateSource } from "../generate/generate";
import { EXIT_OK } from "./exit-codes";
import type { CliIo } from "./io";
import { formatCount, renderGenerated } from "./render";
import { configPath } from "./run-command";

export interface GenerateFlags {
  config?: string;
  json?: boolean;
  accounts?: number;
  months?: number;
  seed: number;
  start?: string;
  append?: boolean;
}

export async function generateCommand(flags: GenerateFlags, io: CliIo): Promise<number> {
  const config = loadConfigFile(configPath(flags.config, io.env));
  if (!flags.json && !flags.append && flags.accounts !== undefined && flags.months !== undefined) {
    io.out(`generating ${formatCount(flags.accounts)} accounts × ${flags.months} months (seed ${flags.seed}) …\n`);
  }
  const t0 = performance.now();
  let res;
  try {
    res = await generateSource(config, {
      accounts: flags.accounts,
      months: flags.months,
      seed: flags.seed,
      start: flags.start,
      append: flags.append ?? false,
    });
  } finally {
    await closeEngine(config.engine.database);
  }
  const ms = performance.now() - t0;
  if (flags.json) io.out(JSON.stringify({ type: "generate", ...res, durationMs: Math.round(ms) }) + "\n");
  else io.out(renderGenerated(res, ms, flags.append ?? false));
  return EXIT_OK;
}
