// The control database (runs, buckets, audit trail, config versions): one Prisma client per
// database file per process, shared through globalThis so Next's separate bundles and hot reloads
// reuse it. The migrator runs before the first client is handed out.
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresPrismaClient } from "../generated/postgresql/client";
import { PrismaClient } from "../generated/prisma/client";
import { PipelineError } from "../pipeline/errors";
import { defaultMigrationsDir, migrateFile, readMigrations, type MigrationReport } from "./migrate";
import { migratePostgres, postgresMigrationsDir } from "./migrate-postgres";

export type ControlDb = PrismaClient;

export const DEFAULT_DATABASE_URL = "file:./data/control.db";

/** A `postgresql://` (or `postgres://`) URL: the control database is a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL as it may be shown: without its password. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, "$1:***@");
}

/**
 * The SQLite file a `file:` URL names, resolved against the working directory. An in-memory
 * database is refused: the migrator and the client use separate connections, which would not share it.
 */
export function controlDbPath(url: string = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): string {
  const file = url.startsWith("file:") ? (url.slice("file:".length).split("?")[0] ?? "") : "";
  if (file === "" || file === ":memory:") {
    throw new PipelineError("CONFIG_INVALID", `DATABASE_URL must name a SQLite file, such as ${DEFAULT_DATABASE_URL}`, {
      where: "DATABASE_URL",
    });
  }
  return path.resolve(file);
}

export interface ControlDbHandle {
  client: ControlDb;
  /** The database file, or the PostgreSQL URL without its password. */
  path: string;
  /**
   * What the migrator did when this process opened the database: at once for SQLite; for
   * PostgreSQL once the first query has waited for it (null until then).
   */
  migrations: MigrationReport | null;
}

interface Registry {
  handles: Map<string, ControlDbHandle>;
}

const registryKey = Symbol.for("summary-pipeline.control-db-registry");
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[registryKey];
  if (!r) {
    r = { handles: new Map() };
    g[registryKey] = r;
  }
  return r;
}

export interface ControlDbOptions {
  /** A `file:` URL; defaults to DATABASE_URL, then `file:./data/control.db`. */
  url?: string;
  /** Defaults to prisma/migrations under the working directory. */
  migrationsDir?: string;
}

/** The migrated control database of this process, with where it lives. */
export function openControlDb({ url, migrationsDir }: ControlDbOptions = {}): ControlDbHandle {
  const resolved = url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (isPostgresUrl(resolved)) return openPostgres(resolved, migrationsDir);
  const file = controlDbPath(url);
  const reg = registry();
  const existing = reg.handles.get(file);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const migrations = migrateFile(file, readMigrations(migrationsDir));
  const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: file, timeout: 10_000 }) });
  const handle = { client, path: file, migrations };
  reg.handles.set(file, handle);
  return handle;
}

/**
 * PostgreSQL through the pg driver adapter. Its migrator is asynchronous, so the client is handed
 * out at once and every query (raw ones and those inside transactions included) first waits for
 * the migrations; a database that cannot be reached or migrated fails those queries with that error.
 */
function openPostgres(url: string, migrationsDir: string | undefined): ControlDbHandle {
  const reg = registry();
  const existing = reg.handles.get(url);
  if (existing) return existing;
  const dir = postgresMigrationsDir(migrationsDir ?? defaultMigrationsDir());
  const base = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  const handle: ControlDbHandle = { client: base as unknown as ControlDb, path: redactUrl(url), migrations: null };
  const ready = (async () => {
    handle.migrations = await migratePostgres(url, readMigrations(dir));
  })();
  ready.catch(() => undefined); // reported by the queries that wait for it
  const client = base.$extends({
    query: {
      async $allOperations({ args, query }) {
        await ready;
        return query(args);
      },
    },
  });
  // the two generated clients have the same models; the SQLite one's type serves both
  handle.client = client as unknown as ControlDb;
  reg.handles.set(url, handle);
  return handle;
}

/** The migrated control database client of this process. */
export function getControlDb(options: ControlDbOptions = {}): ControlDb {
  return openControlDb(options).client;
}

/** Disconnects and forgets a control database (tests, shutdown). */
export async function closeControlDb(url?: string): Promise<void> {
  const resolved = url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const key = isPostgresUrl(resolved) ? resolved : controlDbPath(url);
  const reg = registry();
  const handle = reg.handles.get(key);
  if (!handle) return;
  reg.handles.delete(key);
  await handle.client.$disconnect();
}
