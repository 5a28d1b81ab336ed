// The control database's PostgreSQL tests start a throwaway server of their own
// (src/control/postgres-server.ts) from the server binaries of Debian's postgresql package.
// Installs the package when no /usr/lib/postgresql/<version>/bin/initdb (nor $SP_POSTGRES_BIN) exists.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { aptInstall } from "./apt-install.mjs";

function initdb() {
  if (process.env.SP_POSTGRES_BIN) return path.join(process.env.SP_POSTGRES_BIN, "initdb");
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const found = readdirSync(root)
    .map((v) => path.join(root, v, "bin", "initdb"))
    .filter((f) => existsSync(f));
  return found[0] ?? null;
}

const present = () => {
  const file = initdb();
  return file !== null && existsSync(file);
};

if (!present()) {
  aptInstall("ensure-postgres", ["postgresql"]);
  if (!present()) {
    console.error("ensure-postgres: postgresql was installed but no initdb found (/usr/lib/postgresql/*/bin, $SP_POSTGRES_BIN)");
    process.exit(1);
  }
}
console.log(`ensure-postgres: ${initdb()}`);
