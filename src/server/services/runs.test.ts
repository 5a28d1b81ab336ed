// The run executor's own rules: the fault-injection test hook, and runs of a dead server process
// shown as interrupted on the first call.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb } from "@/control/db";
import { PipelineError } from "@/pipeline/errors";
import { faultInjectionHook, listRuns, parseFaultSpec, resetFaultInjection } from "./runs";

describe("SP_FAULT_INJECTION", () => {
  it("parses the two kinds and refuses anything else, naming the variable", () => {
    expect(parseFaultSpec(undefined)).toBeNull();
    expect(parseFaultSpec("")).toBeNull();
    expect(parseFaultSpec("permanent-after:2")).toEqual({ kind: "permanent-after", commits: 2 });
    expect(parseFaultSpec("transient-rate:0.5")).toEqual({ kind: "transient-rate", rate: 0.5 });
    for (const bad of ["permanent-after:-1", "permanent-after:1.5", "transient-rate:2", "always", "permanent-after:"]) {
      expect(() => parseFaultSpec(bad)).toThrow(/SP_FAULT_INJECTION must be/);
    }
  });

  it("permanent-after:N fails the (N+1)-th bucket commit of a run, once per process", () => {
    resetFaultInjection();
    const hook = faultInjectionHook({ kind: "permanent-after", commits: 2 });
    hook(0);
    hook(1);
    let thrown: unknown;
    try {
      hook(5);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PipelineError);
    expect(thrown).toMatchObject({ retryable: false, message: expect.stringContaining("bucket 5") as unknown });
    // fired: neither this run nor the next fails again
    expect(() => hook(6)).not.toThrow();
    const next = faultInjectionHook({ kind: "permanent-after", commits: 0 });
    expect(() => next(0)).not.toThrow();
  });

  it("transient-rate:R fails a commit with a retryable error when the draw is below R", () => {
    const draws = [0.1, 0.9];
    const hook = faultInjectionHook({ kind: "transient-rate", rate: 0.5 }, () => draws.shift() ?? 1);
    expect(() => hook(0)).toThrow(/injected transient fault in bucket 0/);
    expect(() => hook(1)).not.toThrow();
  });
});

describe("runs of a dead server", () => {
  let dir: string;
  const saved = process.env.DATABASE_URL;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runs-service-"));
    process.env.DATABASE_URL = `file:${path.join(dir, "control.db")}`;
  });
  afterAll(async () => {
    await closeControlDb();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("show as interrupted from the first call on", async () => {
    const db = openControlDb().client;
    // a process id that cannot exist on this host
    await db.run.create({
      data: { id: "0badc0de", status: "running", mode: "initial", dryRun: false, trigger: "dashboard", owner: `${os.hostname()}:4194305`, startedAt: new Date() },
    });
    const runs = await listRuns({ controlDb: () => openControlDb() }, { limit: 10 });
    expect(runs.map((r) => [r.id, r.status])).toEqual([["0badc0de", "interrupted"]]);
    const audit = await db.auditEvent.findMany({ where: { runId: "0badc0de" } });
    expect(audit.map((e) => e.type)).toEqual(["run.interrupted"]);
  });
});
