// Playwright drives Debian's Chromium (its own browser download is not reachable here). Installs
// the package when it is missing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { aptInstall } from "./apt-install.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  aptInstall("ensure-chromium", ["chromium"]);
  if (!existsSync(CHROMIUM)) {
    console.error(`ensure-chromium: chromium was installed but ${CHROMIUM} does not exist`);
    process.exit(1);
  }
}
console.log(`ensure-chromium: ${execFileSync(CHROMIUM, ["--version"], { encoding: "utf8" }).trim()}`);
