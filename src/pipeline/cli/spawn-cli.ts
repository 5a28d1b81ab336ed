// Test support: the CLI as a scheduler meets it, a child process (through tsx) from the project
// root, with its exit code, stdout and stderr. The environment is the test's, without the
// variables that would point it at the project's own config or migrations, plus `env`.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function spawnCli(args: string[], env: Record<string, string> = {}): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/pipeline/cli.ts", ...args], {
      cwd: repo,
      env: { ...process.env, PIPELINE_CONFIG: "", DEBUG: "", CONTROL_MIGRATIONS_DIR: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
