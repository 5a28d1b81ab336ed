// Serves the built app for the Playwright tests: empties the test data folder (E2E_DATA_DIR), seeds
// the engine database with a small deterministic dataset (e2e/fixtures/seed.ts: two runs, one with a
// backfill), then runs `next start` with the environment Playwright gives it, forwarding signals.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const dataDir = process.env.E2E_DATA_DIR;
if (!dataDir) {
  console.error("e2e-server: E2E_DATA_DIR is not set");
  process.exit(2);
}
rmSync(path.resolve(dataDir), { recursive: true, force: true });
mkdirSync(path.resolve(dataDir), { recursive: true });

const require = createRequire(import.meta.url);
// the seed exits before the server opens the engine database (DuckDB allows one process at a time)
const seed = spawnSync(process.execPath, [require.resolve("tsx/cli"), "e2e/fixtures/seed.ts"], { stdio: "inherit", env: process.env });
if (seed.status !== 0) {
  console.error(`e2e-server: seeding the engine database failed (exit ${seed.status ?? seed.signal})`);
  process.exit(1);
}

const nextBin = require.resolve("next/dist/bin/next");
const port = process.env.PORT ?? "3210";
const child = spawn(process.execPath, [nextBin, "start", "--port", port, "--hostname", "127.0.0.1"], {
  stdio: "inherit",
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
