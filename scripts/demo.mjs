// `npm run demo`: installs if needed, generates a synthetic source, builds the summary tables with
// an initial run, then builds and serves the dashboard on http://localhost:3000 (PORT overrides).
// DEMO_ACCOUNTS, DEMO_MONTHS and DEMO_SEED size the generated source.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const accounts = process.env.DEMO_ACCOUNTS ?? "5000";
const months = process.env.DEMO_MONTHS ?? "36";
const seed = process.env.DEMO_SEED ?? "42";
const port = process.env.PORT ?? "3000";

function step(title, cmd, args) {
  console.log(`\n▶ ${title}\n  $ ${[cmd, ...args].join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit" });
}

if (!existsSync("node_modules")) step("Installing dependencies", npm, ["ci"]);
step("Generating the synthetic source", npm, [
  "run", "pipeline", "--", "generate", "--accounts", accounts, "--months", months, "--seed", seed,
]);
step("Building the summary tables (initial run)", npm, ["run", "pipeline", "--", "--mode", "initial"]);
step("Building the dashboard", "npx", ["next", "build"]);

console.log(`\n▶ Serving the dashboard on http://localhost:${port} (Ctrl+C to stop)`);
const server = spawn("npx", ["next", "start", "--port", port], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
