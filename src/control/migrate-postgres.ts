// The same migrator for a PostgreSQL control database: prisma/postgresql/migrations (Prisma's
// layout, PostgreSQL's dialect; the folders mirror prisma/migrations one for one), each pending one
// in its own transaction, recorded with its checksum in the same table as on SQLite. Several
// processes may start at once: a transaction-scoped advisory lock makes them take turns.
import path from "node:path";
import pg from "pg";
import { MIGRATIONS_TABLE, verifyApplied, type AppliedMigration, type Migration, type MigrationReport } from "./migrate";

/** An arbitrary constant: the advisory lock the control database's migrators share. */
const MIGRATION_LOCK = 7_316_273_431;

/** prisma/postgresql/migrations beside the SQLite migrations folder given (or the project's). */
export function postgresMigrationsDir(sqliteDir: string): string {
  return path.join(path.dirname(sqliteDir), "postgresql", "migrations");
}

async function applied(client: pg.Client): Promise<AppliedMigration[]> {
  const r = await client.query<AppliedMigration>(
    `SELECT "name", "checksum", "applied_at" AS "appliedAt" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`,
  );
  return r.rows;
}

export async function migratePostgres(connectionString: string, migrations: Migration[]): Promise<MigrationReport> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  /** One transaction holding the migrators' lock, re-reading and verifying what is applied. */
  const step = async <T>(fn: (current: AppliedMigration[]) => Promise<T>): Promise<T> => {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
        "name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)`);
      const current = await applied(client);
      verifyApplied(current, migrations);
      const result = await fn(current);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  };
  try {
    const done: string[] = [];
    for (const m of migrations) {
      const ran = await step(async (current) => {
        if (current.some((a) => a.name === m.name)) return false;
        await client.query(m.sql);
        await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum", "applied_at") VALUES ($1, $2, $3)`, [
          m.name,
          m.checksum,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (ran) done.push(m.name);
    }
    const total = await step(async (current) => current.length);
    return { applied: done, total };
  } finally {
    await client.end();
  }
}
