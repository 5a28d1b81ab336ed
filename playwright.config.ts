// End-to-end tests: Debian's Chromium against the production build (`next build` first), served
// by scripts/e2e-server.mjs on its own port with a fresh control database and engine database.
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { E2E_OPERATOR_TOKEN } from "./e2e/fixtures/operator";

const port = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${port}`;
// must match engine.database in the fixture config, which is relative to the repository root
const dataDir = path.resolve("e2e/.data");

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    ...devices["Desktop Chrome"],
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  webServer: {
    command: "node scripts/e2e-server.mjs",
    url: `${baseURL}/api/trpc/health.check`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      E2E_DATA_DIR: dataDir,
      DATABASE_URL: `file:${path.join(dataDir, "control.db")}`,
      PIPELINE_CONFIG: path.resolve("e2e/fixtures/pipeline_config.json"),
      NODE_ENV: "production",
      OPERATOR_TOKEN: E2E_OPERATOR_TOKEN,
      // test hook (src/server/services/runs.ts): the first dashboard run to reach its 2nd bucket fails once
      SP_FAULT_INJECTION: "permanent-after:1",
    },
  },
});
