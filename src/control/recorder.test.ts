// The control database follows the engine's truth for runs whose process died after their commit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb } from "./db";
import { reconcileWithEngine } from "./recorder";

describe("reconcileWithEngine", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "control-reconcile-"));
  const url = `file:${path.join(dir, "control.db")}`;
  afterAll(async () => {
    await closeControlDb(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records committed and rolled-back runs as the engine has them, and leaves the rest", async () => {
    const db = openControlDb({ url }).client;
    const base = { mode: "incremental", dryRun: false, trigger: "cli", startedAt: new Date() };
    await db.run.create({ data: { ...base, id: "0000000a", status: "interrupted" } });
    await db.run.create({ data: { ...base, id: "0000000b", status: "succeeded" } });
    await db.run.create({ data: { ...base, id: "0000000c", status: "failed" } });
    await db.run.create({ data: { ...base, id: "0000000d", status: "running" } });
    const fixed = await reconcileWithEngine(db, [
      { runId: "0000000a", status: "succeeded", countsJson: '{"read":5}', timingsJson: '{"total":9}' },
      { runId: "0000000b", status: "rolled_back", countsJson: null, timingsJson: null },
      { runId: "0000000c", status: "failed", countsJson: null, timingsJson: null },
      { runId: "0000000e", status: "succeeded", countsJson: null, timingsJson: null },
    ]);
    expect(fixed).toEqual(["0000000a"]);
    const runs = await db.run.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, counts: true } });
    expect(runs).toEqual([
      { id: "0000000a", status: "succeeded", counts: '{"read":5}' },
      { id: "0000000b", status: "succeeded", counts: null },
      { id: "0000000c", status: "failed", counts: null },
      { id: "0000000d", status: "running", counts: null },
    ]);
    const events = await db.auditEvent.findMany({ where: { type: "run.reconciled" } });
    expect(events.map((e) => e.runId)).toEqual(["0000000a"]);
    expect(events[0]?.message).toMatch(/recorded interrupted here but is succeeded in the engine database/);
  });
});
