// Serves the built app for the Playwright tests: empties the test data folder (E2E_DATA_DIR),
// then runs `next start` with the environment Playwright gives it, forwarding signals.
import { spawn } from "node:child_process";
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

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const port = process.env.PORT ?? "3210";
const child = spawn(process.execPath, [nextBin, "start", "--port", port, "--hostname", "127.0.0.1"], {
  stdio: "inherit",
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
