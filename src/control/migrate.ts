// Applies the SQL migrations of prisma/migrations to a SQLite control database. Prisma's schema
// engine cannot run here, so this small migrator does its job: each pending migration folder, in
// name order, inside its own transaction, recorded with a checksum so an edited migration is refused.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export const MIGRATIONS_TABLE = "_control_migrations";

export interface Migration {
  /** The folder name, e.g. `0001_init`; migrations apply in ascending name order. */
  name: string;
  sql: string;
  /** sha256 of the SQL with line endings normalised, so a checkout with CRLF still matches. */
  checksum: string;
}

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: string;
}

export interface MigrationReport {
  /** Migrations applied by this call. */
  applied: string[];
  /** Migrations recorded in the database after this call. */
  total: number;
}

/** A control database whose recorded migrations disagree with the migration folders. */
export class MigrationError extends Error {
  readonly migration: string;

  constructor(migration: string, message: string) {
    super(message);
    this.name = "MigrationError";
    this.migration = migration;
  }
}

/**
 * prisma/migrations of the project the process runs in (the CLI and `next start` run from its root).
 * Migration files are read at run time, not bundled: the turbopackIgnore comments keep Next's
 * output tracing from pulling the whole project into the server build because of these paths.
 */
export function defaultMigrationsDir(): string {
  return path.resolve(
    /*turbopackIgnore: true*/ process.env.CONTROL_MIGRATIONS_DIR ?? path.join(process.cwd(), "prisma", "migrations"),
  );
}

export function checksumOf(sql: string): string {
  return crypto.createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/** Reads every `<dir>/<name>/migration.sql`, sorted by name. */
export function readMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  if (!fs.existsSync(/*turbopackIgnore: true*/ dir)) {
    throw new MigrationError("(none)", `migrations folder ${dir} does not exist`);
  }
  return fs
    .readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((name) => {
      const file = path.join(dir, name, "migration.sql");
      if (!fs.existsSync(file)) return [];
      const sql = fs.readFileSync(file, "utf8");
      return [{ name, sql, checksum: checksumOf(sql) }];
    });
}

function ensureMigrationsTable(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "checksum" TEXT NOT NULL,
    "applied_at" TEXT NOT NULL
  )`);
}

/** What the database records as applied (nothing for a database the migrator never touched). */
export function appliedMigrations(db: Database.Database): AppliedMigration[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (!exists) return [];
  const rows = db
    .prepare(`SELECT "name", "checksum", "applied_at" AS "appliedAt" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`)
    .all() as AppliedMigration[];
  return rows;
}

/** Throws when an applied migration was edited or removed since it ran. */
export function verifyApplied(applied: AppliedMigration[], migrations: Migration[]): void {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  for (const a of applied) {
    const m = byName.get(a.name);
    if (!m) {
      throw new MigrationError(
        a.name,
        `migration ${a.name} is applied to the control database but missing from the migrations folder (is this an older checkout?)`,
      );
    }
    if (m.checksum !== a.checksum) {
      throw new MigrationError(
        a.name,
        `migration ${a.name} was modified after it was applied (checksum ${a.checksum.slice(0, 12)}… recorded, ${m.checksum.slice(0, 12)}… on disk); add a new migration instead`,
      );
    }
  }
}

/**
 * Brings an open database up to date. Safe to call from several processes at once: each step
 * takes SQLite's write lock (BEGIN IMMEDIATE) and re-reads what is applied before acting.
 */
export function migrate(db: Database.Database, migrations: Migration[] = readMigrations()): MigrationReport {
  ensureMigrationsTable(db);
  verifyApplied(appliedMigrations(db), migrations);
  const applied: string[] = [];
  // Foreign keys are off while migrating (a table redefinition copies rows in an order the
  // constraints would reject) and checked before each commit instead, as SQLite recommends.
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) === 1;
  db.pragma("foreign_keys = OFF");
  try {
    for (const m of migrations) {
      const step = db.transaction(() => {
        const current = appliedMigrations(db);
        verifyApplied(current, migrations);
        if (current.some((a) => a.name === m.name)) return false;
        db.exec(m.sql);
        const violations = db.pragma("foreign_key_check") as unknown[];
        if (violations.length > 0) {
          throw new MigrationError(m.name, `migration ${m.name} leaves ${violations.length} foreign key violation(s)`);
        }
        db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum", "applied_at") VALUES (?, ?, ?)`).run(
          m.name,
          m.checksum,
          new Date().toISOString(),
        );
        return true;
      });
      if (step.immediate()) applied.push(m.name);
    }
  } finally {
    if (foreignKeys) db.pragma("foreign_keys = ON");
  }
  return { applied, total: appliedMigrations(db).length };
}

/** Opens the database file (creating it and its folder), migrates it, and closes it. */
export function migrateFile(file: string, migrations: Migration[] = readMigrations()): MigrationReport {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  try {
    // WAL lets the dashboard read while a CLI run writes progress.
    db.pragma("journal_mode = WAL");
    return migrate(db, migrations);
  } finally {
    db.close();
  }
}
