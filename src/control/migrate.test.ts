import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeControlDb, getControlDb, openControlDb, type ControlDb } from "./db";
import { MIGRATIONS_TABLE, MigrationError, appliedMigrations, migrateFile, readMigrations } from "./migrate";

const migrationsDir = path.resolve("prisma/migrations");

describe("control database migrations", () => {
  let dir: string;
  let url: string;
  let file: string;
  let db: ControlDb;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "control-db-"));
    file = path.join(dir, "nested", "control.db");
    url = `file:${file}`;
    db = getControlDb({ url, migrationsDir });
  });

  afterAll(async () => {
    await closeControlDb(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("builds a fresh database from every migration folder", () => {
    const info = openControlDb({ url, migrationsDir });
    const names = readMigrations(migrationsDir).map((m) => m.name);
    expect(names[0]).toBe("0001_init");
    expect(info.path).toBe(file);
    expect(info.migrations.applied).toEqual(names);
    expect(info.migrations.total).toBe(names.length);

    const raw = new Database(file, { readonly: true });
    try {
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name);
      expect(tables).toEqual(["AuditEvent", "ConfigVersion", "Run", "RunBucket", MIGRATIONS_TABLE]);
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      raw.close();
    }
  });

  it("creates and reads every model through the generated client", async () => {
    const run = await db.run.create({
      data: { id: "0a1b2c3d", status: "queued", mode: "initial", dryRun: false, trigger: "cli", owner: "host:42" },
    });
    expect(run.createdAt).toBeInstanceOf(Date);
    expect(run.bucketsTotal).toBe(0);
    expect(run.resumeCount).toBe(0);

    await db.runBucket.create({
      data: { runId: run.id, bucket: 0, status: "succeeded", rows: 12, attempts: 1, counts: JSON.stringify({ read: 12 }) },
    });
    await expect(
      db.runBucket.create({ data: { runId: run.id, bucket: 0, status: "running" } }),
    ).rejects.toThrow(/Unique constraint/);

    const startedAt = new Date("2026-01-02T03:04:05.678Z");
    await db.run.update({ where: { id: run.id }, data: { status: "running", startedAt, bucketsTotal: 1 } });
    const withBuckets = await db.run.findUniqueOrThrow({ where: { id: run.id }, include: { buckets: true } });
    expect(withBuckets.status).toBe("running");
    expect(withBuckets.startedAt?.toISOString()).toBe(startedAt.toISOString());
    expect(withBuckets.updatedAt.getTime()).toBeGreaterThanOrEqual(run.updatedAt.getTime());
    expect(withBuckets.buckets.map((b) => [b.bucket, b.rows])).toEqual([[0, 12]]);

    await db.auditEvent.create({ data: { runId: run.id, type: "run.start", level: "info", actor: "cli", message: "started" } });
    // events may name a run that does not exist (no foreign key): the trail is append-only
    await db.auditEvent.create({ data: { runId: "ffffffff", type: "auth.denied", level: "warn", message: "resume denied" } });
    const events = await db.auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(events.map((e) => [e.runId, e.type, e.level])).toEqual([
      ["0a1b2c3d", "run.start", "info"],
      ["ffffffff", "auth.denied", "warn"],
    ]);

    const version = await db.configVersion.create({
      data: { author: "alice", json: "{}", hash: "abc", comment: "first" },
    });
    expect(version.active).toBe(false);
    await db.configVersion.update({ where: { id: version.id }, data: { active: true } });
    expect(await db.configVersion.count({ where: { active: true } })).toBe(1);

    // deleting a run cascades to its buckets and leaves its audit events in place
    await db.run.delete({ where: { id: run.id } });
    expect(await db.runBucket.count()).toBe(0);
    expect(await db.auditEvent.count({ where: { runId: run.id } })).toBe(1);
  });

  it("is a no-op when run again", () => {
    const recorded = () => {
      const raw = new Database(file, { readonly: true });
      try {
        return appliedMigrations(raw);
      } finally {
        raw.close();
      }
    };
    const before = recorded();
    const again = migrateFile(file, readMigrations(migrationsDir));
    expect(again.applied).toEqual([]);
    expect(again.total).toBe(readMigrations(migrationsDir).length);
    expect(recorded()).toEqual(before);
  });
});

describe("migration integrity", () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "control-migrations-"));
    fs.cpSync(migrationsDir, path.join(dir, "migrations"), { recursive: true });
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("applies a new migration folder after the existing ones", () => {
    const file = path.join(dir, "grow.db");
    const migrations = path.join(dir, "migrations");
    migrateFile(file, readMigrations(migrations));
    fs.mkdirSync(path.join(migrations, "0002_note"));
    fs.writeFileSync(path.join(migrations, "0002_note", "migration.sql"), 'ALTER TABLE "Run" ADD COLUMN "note" TEXT;\n');
    const report = migrateFile(file, readMigrations(migrations));
    expect(report.applied).toEqual(["0002_note"]);
    const raw = new Database(file, { readonly: true });
    try {
      expect(appliedMigrations(raw).map((m) => m.name)).toEqual(["0001_init", "0002_note"]);
    } finally {
      raw.close();
    }
    fs.rmSync(path.join(migrations, "0002_note"), { recursive: true });
  });

  it("refuses an applied migration whose SQL changed", () => {
    const file = path.join(dir, "edited.db");
    const migrations = readMigrations(path.join(dir, "migrations"));
    migrateFile(file, migrations);
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: "0".repeat(64) } : m));
    expect(() => migrateFile(file, edited)).toThrow(MigrationError);
    expect(() => migrateFile(file, edited)).toThrow(/0001_init was modified after it was applied/);
  });

  it("rolls back a failing migration entirely", () => {
    const file = path.join(dir, "broken.db");
    const migrations = readMigrations(path.join(dir, "migrations"));
    const broken = [
      ...migrations,
      { name: "0002_broken", sql: 'CREATE TABLE "Half" ("id" INTEGER);\nINSERT INTO "Nope" VALUES (1);', checksum: "1".repeat(64) },
    ];
    expect(() => migrateFile(file, broken)).toThrow(/no such table: Nope/);
    const raw = new Database(file, { readonly: true });
    try {
      expect(appliedMigrations(raw).map((m) => m.name)).toEqual(["0001_init"]);
      expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'Half'").get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });
});
