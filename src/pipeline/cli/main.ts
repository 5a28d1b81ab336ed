// The command line: commander parses, a command runs, and every outcome — usage mistakes
// included — becomes one `summary-pipeline: …` line on stderr and an exit code (exit-codes.ts).
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { describeError, isPipelineError, PipelineError } from "../errors";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOfError } from "./exit-codes";
import type { GenerateFlags } from "./generate-command";
import { processIo, type CliIo } from "./io";
import type { RunFlags } from "./run-command";

// Commands load the engine (and its native DuckDB addon) only when they run, so usage errors
// and help come back at once.


function integerArgument(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.replaceAll("_", "");
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

function monthArgument(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError(`expected a month YYYY-MM, got "${value}"`);
  return value;
}

/** The program; `done` receives the exit code of the command that ran. */
export function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command("summary-pipeline")
    .description("Incremental account summary tables on DuckDB: runs, resumes and synthetic sources.")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .addHelpText(
      "after",
      "\nThe config file is --config, else $PIPELINE_CONFIG, else config/pipeline_config.json.\n" +
        "Exit codes: 0 success, 2 usage or config error, 3 failed run that can be resumed,\n" +
        "4 engine database held by another run, 1 anything else.",
    );
  program
    .option("--config <file>", "pipeline config file")
    .addOption(new Option("--mode <mode>", "initial rebuilds everything; incremental takes what is new").choices(["initial", "incremental"]))
    .option("--dry-run", "classify and print the plan, write nothing")
    .option("--json", "JSON lines on stdout: a run line, progress, a result line")
    .addOption(new Option("--resume <runId>", "continue a failed or interrupted run").conflicts(["mode", "dryRun"]))
    .addOption(new Option("--stats", "table, partition and recent-run statistics").conflicts(["mode", "dryRun", "resume", "optimize"]))
    .addOption(new Option("--optimize", "rewrite the tables in (account, month) order and reclaim space").conflicts(["mode", "dryRun", "resume"]))
    .addOption(
      new Option("--check", "check the invariants of every summary row (exit 1 on a violation)").conflicts(["mode", "dryRun", "resume", "stats", "optimize"]),
    )
    .action(async (flags: RunFlags) => {
      if (flags.check) {
        const { checkCommand } = await import("./check-command");
        done(await checkCommand(flags, io));
        return;
      }
      if (flags.stats) {
        const { statsCommand } = await import("./stats-command");
        done(await statsCommand(flags, io));
        return;
      }
      if (flags.optimize) {
        const { optimizeCommand } = await import("./optimize-command");
        done(await optimizeCommand(flags, io));
        return;
      }
      const { runCommand } = await import("./run-command");
      done(await runCommand(flags, io));
    });
  program
    .command("generate")
    .description("write a seeded synthetic source into the configured source")
    .option("--config <file>", "pipeline config file")
    .option("--json", "print the outcome as one JSON line")
    .option("--accounts <n>", "number of accounts", integerArgument(1, 100_000_000))
    .option("--months <n>", "number of months (with --append: months to add, default 1)", integerArgument(1, 600))
    .option("--seed <s>", "seed; the same seed gives the same records", integerArgument(0, Number.MAX_SAFE_INTEGER), 1)
    .option("--start <YYYY-MM>", "first month (default: the months end with last month)", monthArgument)
    .option("--append", "add the month after the newest one instead of replacing the source")
    .action(async (flags: GenerateFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GenerateFlags>();
      const { generateCommand } = await import("./generate-command");
      done(await generateCommand({ ...flags, config: flags.config ?? globals.config, json: flags.json ?? globals.json }, io));
    });
  program
    .command("rollback")
    .description("restore the tables as they were before a run")
    .argument("<runId>", "the run to undo")
    .option("--config <file>", "pipeline config file")
    .option("--json", "print the outcome as one JSON line")
    .action(async (runId: string, flags: { config?: string; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
      if (!/^[0-9a-f]{8}$/.test(runId)) throw new PipelineError("USAGE", `a run id is 8 lowercase hex characters, got "${runId}"`);
      const { rollbackCommand } = await import("./rollback-command");
      done(await rollbackCommand(runId, { config: flags.config ?? globals.config, json: flags.json ?? globals.json }, io));
    });
  return program;
}

/** Prints an error the way the CLI does and returns its exit code. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return EXIT_OK; // --help
    io.err(`summary-pipeline: ${err.message.replace(/^error: /, "")}\n`);
    return EXIT_USAGE;
  }
  if (isPipelineError(err)) {
    io.err(`summary-pipeline: ${err.message.replace(/\s*\n\s*/g, " ")}\n`);
    for (const issue of err.issues) io.err(`  ${issue.path}: ${issue.message}\n`);
  } else {
    io.err(`summary-pipeline: ${describeError(err)}\n`);
  }
  if (io.env.DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
  return isPipelineError(err) ? exitCodeOfError(err.code) : EXIT_FAILURE;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = EXIT_OK;
  try {
    const program = buildProgram(io, (c) => (code = c));
    const first = argv[0];
    if (first !== undefined && !first.startsWith("-") && !program.commands.some((c) => c.name() === first) && first !== "help") {
      throw new PipelineError("USAGE", `unknown command '${first}' (commands: ${program.commands.map((c) => c.name()).join(", ")})`);
    }
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    return reportError(err, io);
  }
}
