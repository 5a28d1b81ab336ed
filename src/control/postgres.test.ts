// The control database on PostgreSQL (DATABASE_URL=postgresql://…), against a throwaway server:
// the migrations build the same tables as SQLite's, every model works through the pg adapter, the
// migrator is idempotent and safe when two processes start at once, a CLI run is recorded there,
// and an unreachable server is a clear error (and, for the CLI, one warning line).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb, redactUrl } from "./db";
import { migrateFile, readMigrations } from "./migrate";
import { migratePostgres, postgresMigrationsDir } from "./migrate-postgres";
import { startTempPostgres, type TempPostgres } from "./postgres-server";
import { exerciseEveryModel } from "./testing";
import { spawnCli as cli } from "../pipeline/cli/spawn-cli";

const sqliteDir = path.resolve("prisma/migrations");
const pgDir = postgresMigrationsDir(sqliteDir);

it("keeps one PostgreSQL migration folder per SQLite one, under the same names", () => {
  expect(pgDir).toBe(path.resolve("prisma/postgresql/migrations"));
  expect(readMigrations(pgDir).map((m) => m.name)).toEqual(readMigrations(sqliteDir).map((m) => m.name));
  expect(fs.readFileSync(path.join(pgDir, "migration_lock.toml"), "utf8")).toMatch(/provider = "postgresql"/);
});

it("never shows a PostgreSQL password", () => {
  expect(redactUrl("postgresql://alice:s3cret@db:5432/control")).toBe("postgresql://alice:***@db:5432/control");
  expect(redactUrl("postgres://alice@db/control")).toBe("postgres://alice@db/control");
});

describe("control database on PostgreSQL", () => {
  let server: TempPostgres;
  const opened: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sp-pg-test-"));

  beforeAll(() => {
    server = startTempPostgres();
  });
  afterAll(async () => {
    for (const url of opened) await closeControlDb(url);
    server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function fresh(name: string): Promise<string> {
    const url = await server.createDatabase(name);
    opened.push(url);
    return url;
  }

  async function columnsOf(url: string): Promise<Record<string, string[]>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = await client.query<{ t: string; c: string; nullable: string }>(
        `SELECT table_name AS t, column_name AS c, is_nullable AS nullable FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
      );
      const out: Record<string, string[]> = {};
      for (const row of r.rows) (out[row.t] ??= []).push(`${row.c}${row.nullable === "YES" ? "?" : ""}`);
      return out;
    } finally {
      await client.end();
    }
  }

  it("builds the same tables and columns as the SQLite migrations", async () => {
    const url = await fresh("same_tables");
    const report = await migratePostgres(url, readMigrations(pgDir));
    expect(report).toEqual({ applied: ["0001_init"], total: 1 });
    const file = path.join(tmp, "control.db");
    migrateFile(file, readMigrations(sqliteDir));
    const lite = new Database(file, { readonly: true });
    const expected: Record<string, string[]> = {};
    try {
      const tables = lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
      for (const { name } of tables) {
        const cols = lite.pragma(`table_info("${name}")`) as { name: string; notnull: number; pk: number }[];
        expected[name] = cols.map((c) => `${c.name}${c.notnull || c.pk ? "" : "?"}`);
      }
    } finally {
      lite.close();
    }
    expect(await columnsOf(url)).toEqual(expected);
  });

  it("creates and reads every model through the generated client and the pg adapter", async () => {
    const url = await fresh("every_model");
    const handle = openControlDb({ url, migrationsDir: sqliteDir });
    expect(handle.path).toBe(url); // no password to hide here
    await exerciseEveryModel(handle.client);
    expect(handle.migrations).toEqual({ applied: ["0001_init"], total: 1 });
    // interactive transactions wait for the migrations too, and roll back on error
    await expect(
      handle.client.$transaction(async (tx) => {
        await tx.auditEvent.create({ data: { type: "run.log", level: "info", message: "inside" } });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await handle.client.auditEvent.count({ where: { message: "inside" } })).toBe(0);
  });

  it("migrates once when two processes start at once, and is a no-op when run again", async () => {
    const url = await fresh("concurrent");
    const migrations = readMigrations(pgDir);
    const [a, b] = await Promise.all([migratePostgres(url, migrations), migratePostgres(url, migrations)]);
    expect([...a.applied, ...b.applied]).toEqual(["0001_init"]);
    expect([a.total, b.total]).toEqual([1, 1]);
    expect(await migratePostgres(url, migrations)).toEqual({ applied: [], total: 1 });
    // an applied migration edited afterwards is refused, naming it
    const edited = migrations.map((m) => ({ ...m, checksum: "0".repeat(64) }));
    await expect(migratePostgres(url, edited)).rejects.toThrow(/migration 0001_init was modified after it was applied/);
  });

  it("records a CLI run and the config version it used", async () => {
    const url = await fresh("cli_runs");
    const database = path.join(tmp, "engine.duckdb");
    const cfg = JSON.parse(fs.readFileSync("config/pipeline_config.json", "utf8")) as Record<string, unknown>;
    cfg.engine = { database, threads: 1, memory_limit: "1GB" };
    const file = path.join(tmp, "pipeline_config.json");
    fs.writeFileSync(file, JSON.stringify(cfg));
    const env = { DATABASE_URL: url };
    expect((await cli(["generate", "--accounts", "20", "--months", "2", "--config", file], env)).code).toBe(0);
    const r = await cli(["--config", file, "--json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const runId = String((JSON.parse(r.stdout.split("\n")[0] ?? "{}") as { runId?: string }).runId);
    const db = openControlDb({ url, migrationsDir: sqliteDir }).client;
    const run = await db.run.findUniqueOrThrow({ where: { id: runId }, include: { buckets: true } });
    expect(run).toMatchObject({ status: "succeeded", trigger: "cli", mode: "initial", configVersionId: 1 });
    expect(run.buckets.map((b) => b.status)).toEqual(["succeeded"]);
    expect((await db.auditEvent.findMany({ where: { runId }, orderBy: { id: "asc" } })).map((e) => e.type)).toEqual([
      "run.start",
      "bucket.attempt",
      "run.finish",
    ]);
  });

  it("reports a server it cannot reach at the first query; the CLI warns once and runs", async () => {
    const url = "postgresql://postgres@localhost/nowhere?host=%2Fnonexistent-socket-dir&port=5999";
    opened.push(url);
    const handle = openControlDb({ url, migrationsDir: sqliteDir });
    await expect(handle.client.run.count()).rejects.toThrow(/ENOENT|ECONNREFUSED|connect/);

    const database = path.join(tmp, "engine2.duckdb");
    const cfg = JSON.parse(fs.readFileSync("config/pipeline_config.json", "utf8")) as Record<string, unknown>;
    cfg.engine = { database, threads: 1, memory_limit: "1GB" };
    const file = path.join(tmp, "pipeline_config2.json");
    fs.writeFileSync(file, JSON.stringify(cfg));
    expect((await cli(["generate", "--accounts", "10", "--months", "2", "--config", file], { DATABASE_URL: url })).code).toBe(0);
    const r = await cli(["--config", file, "--json"], { DATABASE_URL: url });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^summary-pipeline: warning: control database unavailable, this run is not recorded for the dashboard: .*(ENOENT|ECONNREFUSED|connect).*\n$/);
  });
});
