import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeControlDb, getControlDb, openControlDb, type ControlDb } from "./db";
import { exerciseEveryModel } from "./testing";
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
    expect(info.migrations?.applied).toEqual(names);
    expect(info.migrations?.total).toBe(names.length);

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
    await exerciseEveryModel(db);
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
