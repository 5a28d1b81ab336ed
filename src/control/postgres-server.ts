// A throwaway PostgreSQL server for the control database's tests: a new cluster in a temp folder
// (initdb, trust authentication), listening on a Unix socket only, stopped and removed afterwards.
// It uses the server binaries of Debian's postgresql package (scripts/ensure-postgres.mjs installs
// it); as root, the server runs as the package's `postgres` user, since PostgreSQL refuses root.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** `$SP_POSTGRES_BIN`, else the newest /usr/lib/postgresql/<version>/bin holding initdb, else null. */
export function postgresBinDir(): string | null {
  if (process.env.SP_POSTGRES_BIN) return process.env.SP_POSTGRES_BIN;
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : null;
}

export interface TempPostgres {
  /** A new empty database on the server, as a `postgresql://` URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

export function startTempPostgres(): TempPostgres {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found (install Debian's postgresql package, or set SP_POSTGRES_BIN)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-pg-"));
  const data = path.join(dir, "data");
  fs.mkdirSync(data);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    fs.chownSync(dir, uid, gid);
    fs.chownSync(data, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, tool), asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : args, {
      stdio: "pipe",
      cwd: dir,
    });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  run("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses='' -c fsync=off`, "start"]);
  const url = (db: string) => `postgresql://postgres@localhost/${db}?host=${encodeURIComponent(dir)}&port=${port}`;
  return {
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
