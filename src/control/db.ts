// The control database (runs, buckets, audit trail, config versions): one Prisma client per
// database file per process, shared through globalThis so Next's separate bundles and hot reloads
// reuse it. The migrator runs before the first client is handed out.
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";
import { PipelineError } from "../pipeline/errors";
import { migrateFile, readMigrations, type MigrationReport } from "./migrate";

export type ControlDb = PrismaClient;

export const DEFAULT_DATABASE_URL = "file:./data/control.db";

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
  /** The database file. */
  path: string;
  /** What the migrator did when this process opened the database. */
  migrations: MigrationReport;
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

/** The migrated control database client of this process. */
export function getControlDb(options: ControlDbOptions = {}): ControlDb {
  return openControlDb(options).client;
}

/** Disconnects and forgets a control database (tests, shutdown). */
export async function closeControlDb(url?: string): Promise<void> {
  const file = controlDbPath(url);
  const reg = registry();
  const handle = reg.handles.get(file);
  if (!handle) return;
  reg.handles.delete(file);
  await handle.client.$disconnect();
}
