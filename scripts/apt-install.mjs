// Installs Debian packages the tests need when they are missing: as root directly, otherwise
// through sudo when available; without either, says what to install and exits 1.
import { execFileSync, spawnSync } from "node:child_process";

/** `apt-get install -y --no-install-recommends <packages>`, printed as it runs, under `label`. */
export function aptInstall(label, packages) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasSudo = spawnSync("sh", ["-c", "command -v sudo"], { stdio: "ignore" }).status === 0;
  if (!isRoot && !hasSudo) {
    console.error(`${label}: missing; install it with: apt-get install -y ${packages.join(" ")}`);
    process.exit(1);
  }
  const prefix = isRoot ? [] : ["sudo"];
  const run = (args) => {
    const [cmd, ...rest] = [...prefix, ...args];
    console.log(`${label}: ${[cmd, ...rest].join(" ")}`);
    execFileSync(cmd, rest, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  };
  run(["apt-get", "update"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", ...packages]);
}
