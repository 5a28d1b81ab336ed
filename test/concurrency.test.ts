// One writer per engine database (SPEC §7, §10): launches at once from several processes — four
// CLI runs, and this test process while one of them runs — leave exactly one run writing; the others
// are refused with exit 4 and a line naming the holder. Then the tables equal the reference, and
// running again over the same input changes nothing and says so.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb } from "../src/control/db";
import { closeEngine } from "../src/pipeline/engine/duckdb";
import { isPipelineError } from "../src/pipeline/errors";
import { runPipeline } from "../src/pipeline/run";
import { makeWorkspace, readTables, REF_CONFIG, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefRecord } from "./reference";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EXIT_LOCKED = 4;

interface Line {
  type: string;
  runId?: string;
  status?: string;
  [k: string]: unknown;
}

interface Outcome {
  pid: number;
  code: number | null;
  lines: Line[];
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>, onLine?: (line: Line) => void): { pid: number; done: Promise<Outcome> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/pipeline/cli.ts", ...args], {
    cwd: repo,
    env: { ...process.env, PIPELINE_CONFIG: "", DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const lines: Line[] = [];
  let partial = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as Line;
      lines.push(line);
      onLine?.(line);
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ pid: child.pid ?? 0, code, lines, stdout, stderr }));
  });
  return { pid: child.pid ?? 0, done };
}

/** accounts × months with gaps, tombstones and in-batch duplicates: enough for a run of many buckets. */
function batch(accounts: number, months: number): RefRecord[] {
  const out: RefRecord[] = [];
  let x = 7;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  for (let a = 0; a < accounts; a++) {
    for (let m = 0; m < months; m++) {
      if (rnd() < 0.1) continue;
      const rec: RefRecord = {
        acct: `c${String(a).padStart(5, "0")}`,
        mi: 2023 * 12 + m,
        ts: 1000 + m * 100,
        stat: rnd() < 0.04 ? "DA" : "11",
        typ: rnd() < 0.5 ? "A" : "B",
        balance: rnd() < 0.05 ? null : Math.floor(rnd() * 1000),
        rating: String(Math.floor(rnd() * 4)),
        limit: rnd() < 0.1 ? -1 : 1000,
      };
      out.push(rec);
      if (rnd() < 0.05) out.push({ ...rec, ts: rec.ts + 50, balance: (rec.balance ?? 0) + 1 });
    }
  }
  return out;
}

const workspaces: Workspace[] = [];
afterAll(async () => {
  for (const ws of workspaces) {
    await closeEngine(ws.database);
    await closeControlDb(`file:${path.join(ws.dir, "control.db")}`);
    fs.rmSync(ws.dir, { recursive: true, force: true });
  }
});

const LOCKED_LINE =
  /^summary-pipeline: engine database (.+) is held by another process \((?:run ([0-9a-f]{8}), cli|PID (\d+))\) — wait for it or use the dashboard\n$/;

describe("launches at once", () => {
  it("leave exactly one run writing; the others exit 4 naming the holder; the tables equal the reference", { timeout: 240_000 }, async () => {
    const ws = makeWorkspace({ name: "conc" });
    workspaces.push(ws);
    ws.config.partitioning.target_rows_per_partition = 40;
    const configFile = path.join(ws.dir, "pipeline_config.json");
    fs.writeFileSync(configFile, JSON.stringify(ws.config, null, 2));
    const controlUrl = `file:${path.join(ws.dir, "control.db")}`;
    const env = { DATABASE_URL: controlUrl };
    const records = batch(300, 6);
    writeBatch(ws, records);

    // four CLI runs at once; while the one that got the database runs, this process tries too
    let inProcess: Promise<unknown> | null = null;
    const onLine = (line: Line) => {
      if (line.type === "run" && !inProcess) {
        inProcess = runPipeline({ config: ws.config, trigger: "test" }).then(
          (r) => r,
          (err: unknown) => err,
        );
      }
    };
    const t0 = performance.now();
    const launched = Array.from({ length: 4 }, () => cli(["--config", configFile, "--json"], env, onLine));
    const outcomes = await Promise.all(launched.map((l) => l.done));
    const elapsed = performance.now() - t0;

    const winners = outcomes.filter((o) => o.code === 0);
    const losers = outcomes.filter((o) => o.code !== 0);
    const detail = outcomes.map((o) => `pid ${o.pid}: exit ${o.code} ${o.stderr.trim()}`).join("\n");
    expect(winners, detail).toHaveLength(1);
    const winner = winners[0] as Outcome;
    const result = winner.lines.at(-1);
    expect(result).toMatchObject({ type: "result", status: "succeeded", mode: "initial" });
    const runId = String(result?.runId);
    expect(Number((result?.counts as { read: number }).read)).toBe(records.length);
    expect(losers.map((o) => o.code)).toEqual([EXIT_LOCKED, EXIT_LOCKED, EXIT_LOCKED]);
    for (const o of losers) {
      const m = LOCKED_LINE.exec(o.stderr);
      expect(m, o.stderr).not.toBeNull();
      expect(m?.[1]).toBe(ws.database);
      // the holder is named: by its run once the control database shows it running, else by DuckDB's PID
      if (m?.[2]) expect(m[2]).toBe(runId);
      else expect(Number(m?.[3])).toBe(winner.pid);
      expect(o.lines.at(-1)).toMatchObject({ type: "result", status: "failed", errorCode: "LOCKED" });
    }
    console.log(`4 launches at once: run ${runId} (pid ${winner.pid}) won in ${Math.round(elapsed)} ms; refused:\n${losers.map((o) => `  ${o.stderr.trim()}`).join("\n")}`);

    // the attempt from this process was refused the same way, while the run went on
    expect(inProcess).not.toBeNull();
    const attempt = await (inProcess as unknown as Promise<unknown>);
    expect(isPipelineError(attempt) && attempt.code).toBe("LOCKED");
    expect(String((attempt as Error).message)).toMatch(/is held by another process/);

    const expected = referenceTables([records], REF_CONFIG);
    const tables = await readTables(ws);
    await closeEngine(ws.database);
    expect({ summary: sortRows(tables.summary), latest: sortRows(tables.latest) }).toEqual(expected);

    // the control database: one run, succeeded; each refused launch audited without a run
    const control = openControlDb({ url: controlUrl }).client;
    const runs = await control.run.findMany({ select: { id: true, status: true, trigger: true } });
    expect(runs, `winner stderr: ${winner.stderr}`).toEqual([{ id: runId, status: "succeeded", trigger: "cli" }]);
    const refused = await control.auditEvent.findMany({ where: { type: "run.fail", runId: null } });
    expect(refused).toHaveLength(3);
    for (const e of refused) expect(e.message).toMatch(/^incremental run could not start: engine database .* is held by another process/);
    await closeControlDb(controlUrl);

    // idempotent: the same input again changes nothing, and the CLI says so
    const again = await cli(["--config", configFile], env).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe("");
    expect(again.stdout).toMatch(/^run [0-9a-f]{8}: started \(incremental\)\nrun [0-9a-f]{8}: succeeded \(incremental\)\nnothing new to ingest \(0 file\(s\)\)\n/);
    const json = await cli(["--config", configFile, "--json"], env).done;
    expect(json.code).toBe(0);
    expect(json.lines.at(-1)).toMatchObject({ type: "result", status: "succeeded", counts: { read: 0, rowsInserted: 0, rowsUpdated: 0 } });
    expect(json.lines.some((l) => l.type === "log" && String(l.message).startsWith("nothing new to ingest"))).toBe(true);
    const after = await readTables(ws);
    await closeEngine(ws.database);
    expect({ summary: sortRows(after.summary), latest: sortRows(after.latest) }).toEqual(expected);
  });
});
