// Playwright drives Debian's Chromium (its own browser download is not reachable here). Installs
// the package when it is missing: as root directly, otherwise through sudo when available.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (existsSync(CHROMIUM)) {
  process.exit(0);
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasSudo = spawnSync("sh", ["-c", "command -v sudo"], { stdio: "ignore" }).status === 0;
if (!isRoot && !hasSudo) {
  console.error(`ensure-chromium: ${CHROMIUM} is missing; install it with: apt-get install -y chromium`);
  process.exit(1);
}

const prefix = isRoot ? [] : ["sudo"];
const run = (args) => {
  const [cmd, ...rest] = [...prefix, ...args];
  console.log(`ensure-chromium: ${[cmd, ...rest].join(" ")}`);
  execFileSync(cmd, rest, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
};

run(["apt-get", "update"]);
run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);

if (!existsSync(CHROMIUM)) {
  console.error(`ensure-chromium: chromium was installed but ${CHROMIUM} does not exist`);
  process.exit(1);
}
console.log(`ensure-chromium: ${execFileSync(CHROMIUM, ["--version"], { encoding: "utf8" }).trim()}`);
