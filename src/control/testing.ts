// Shared by the control database tests (SQLite and PostgreSQL): every model of the generated client
// written and read back on a freshly migrated, empty database, with the constraints the schema sets.
import { expect } from "vitest";
import type { ControlDb } from "./db";

export async function exerciseEveryModel(db: ControlDb): Promise<void> {
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
}
