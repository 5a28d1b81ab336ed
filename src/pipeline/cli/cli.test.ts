// The CLI as a scheduler or an operator meets it: a child process, its stdout, stderr and exit
// code, against temp configs and engine databases.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { closeEngine, openEngine } from "../engine/duckdb";
import { tableExists } from "../state/store";
import { emptyCounts, type RunResult } from "../api";
import { EXIT_FAILURE, EXIT_LOCKED, EXIT_OK, EXIT_RESUMABLE, EXIT_USAGE, exitCodeOfRun } from "./exit-codes";
import { formatDuration, renderRun } from "./render";
import { densityLine } from "./render-stats";
import { spawnCli, type CliOutcome } from "./spawn-cli";
import { closeControlDb, openControlDb } from "../../control/db";
import type { PipelineStats } from "../stats/stats";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const defaults = JSON.parse(fs.readFileSync(path.join(repo, "config/pipeline_config.json"), "utf8")) as Record<string, unknown>;
const dirs: string[] = [];
// the control database of these CLI runs (never the project's data/control.db)
const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-cli-control-"));
dirs.push(controlDir);
const CONTROL_URL = `file:${path.join(controlDir, "control.db")}`;

afterAll(async () => {
  await closeControlDb(CONTROL_URL);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<CliOutcome> {
  return spawnCli(args, { DATABASE_URL: CONTROL_URL, ...env });
}

/** A temp config (the default one, with its engine database in a temp folder) and its path. */
function tempConfig(patch: (cfg: Record<string, unknown>) => void = () => undefined): { file: string; database: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-cli-"));
  dirs.push(dir);
  const database = path.join(dir, "engine.duckdb");
  const cfg = structuredClone(defaults);
  cfg.engine = { database, threads: 1, memory_limit: "1GB" };
  patch(cfg);
  const file = path.join(dir, "pipeline_config.json");
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return { file, database };
}

function jsonLines(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
}

describe("summary-pipeline", () => {
  it("generates a source, dry-runs without writing, builds it, then finds nothing new", async () => {
    const { file, database } = tempConfig();
    const gen = await cli(["generate", "--accounts", "300", "--months", "6", "--seed", "3", "--config", file]);
    expect(gen).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(gen.stdout).toMatch(/generated [\d,]+ records: 300 accounts, \d{4}-\d{2}\.\.\d{4}-\d{2} \(6 months\) into table "accounts_all"/);

    const dry = await cli(["--config", file, "--dry-run"]);
    expect(dry).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(dry.stdout).toMatch(/dry run [0-9a-f]{8}: succeeded \(initial\)/);
    expect(dry.stdout).toContain("months affected");
    expect(dry.stdout).toMatch(/rows to write: [\d,]+ inserted/);
    expect(dry.stdout).toContain("dry run: nothing was written");
    const engine = await openEngine({ database });
    const conn = await engine.connect();
    expect(await tableExists(conn, "main", "summary")).toBe(false);
    conn.closeSync();
    await closeEngine(database);

    const initial = await cli(["--config", file, "--mode", "initial"]);
    expect(initial).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(initial.stdout).toMatch(/run ([0-9a-f]{8}): succeeded \(initial\)/);
    for (const label of ["new accounts", "forward", "backfill", "stale", "deletes", "ignored deletes", "quarantined", "duplicates", "equal-ts conflicts", "inserted", "updated", "latest rows", "timings", "execute", "total"]) {
      expect(initial.stdout).toContain(label);
    }
    expect(initial.stdout).toMatch(/new accounts\s+300\n/);

    const again = await cli(["--config", file]);
    expect(again).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(again.stdout).toMatch(/run [0-9a-f]{8}: succeeded \(incremental\)/);
    expect(again.stdout).toContain("nothing new to ingest");

    // PIPELINE_CONFIG stands in for --config; --json carries only JSON lines, run first, result last
    const append = await cli(["generate", "--append", "--json"], { PIPELINE_CONFIG: file });
    expect(append.code).toBe(EXIT_OK);
    const generated = jsonLines(append.stdout);
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatchObject({ type: "generate", batches: 1, accounts: 3 });
    const json = await cli(["--json"], { PIPELINE_CONFIG: file });
    expect(json).toMatchObject({ code: EXIT_OK, stderr: "" });
    const lines = jsonLines(json.stdout);
    expect(lines[0]).toMatchObject({ type: "run", status: "running", mode: "incremental" });
    expect(lines.some((l) => l.type === "progress")).toBe(true);
    const result = lines.at(-1);
    expect(result).toMatchObject({ type: "result", runId: lines[0]?.runId, status: "succeeded" });
    expect(result?.counts).toMatchObject({ read: generated[0]?.rows, newAccounts: 3 });
    expect(Object.keys(result?.timings as object)).toContain("execute");
  });

  it("reports a config error with the field paths, and exits 2", async () => {
    const { file } = tempConfig((cfg) => {
      cfg.history_length = 0;
      (cfg.rolling_columns as { data_type: string }[])[1] = { ...(cfg.rolling_columns as object[])[1], data_type: "Money" } as { data_type: string };
    });
    const r = await cli(["--config", file]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^summary-pipeline: invalid config \(.*pipeline_config\.json\), 2 problem\(s\)$/);
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^ {2}history_length: /),
      expect.stringMatching(/^ {2}rolling_columns\[1\]\.data_type: must be one of /),
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const json = await cli(["--config", file, "--json"]);
    expect(json.code).toBe(EXIT_USAGE);
    const out = jsonLines(json.stdout);
    expect(out.map((l) => l.type)).toEqual(["run", "result"]);
    expect(out[1]).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID", counts: {}, timings: {} });
  });

  it("exits 2 on usage mistakes and a missing config file", async () => {
    const [unknown, mode, missing, envMissing, command] = await Promise.all([
      cli(["--bogus"]),
      cli(["--mode", "sideways"]),
      cli(["--config", "/nonexistent/pipeline.json"]),
      cli([], { PIPELINE_CONFIG: "/nonexistent/from-env.json" }),
      cli(["frobnicate"]),
    ]);
    expect(unknown).toMatchObject({ code: EXIT_USAGE, stdout: "", stderr: "summary-pipeline: unknown option '--bogus'\n" });
    expect(mode.code).toBe(EXIT_USAGE);
    expect(mode.stderr).toMatch(/^summary-pipeline: option '--mode <mode>' argument 'sideways' is invalid\. Allowed choices are initial, incremental\.\n$/);
    expect(missing).toMatchObject({ code: EXIT_USAGE, stderr: "summary-pipeline: cannot read config file /nonexistent/pipeline.json (ENOENT)\n" });
    expect(envMissing).toMatchObject({ code: EXIT_USAGE, stderr: "summary-pipeline: cannot read config file /nonexistent/from-env.json (ENOENT)\n" });
    expect(command).toMatchObject({ code: EXIT_USAGE, stderr: "summary-pipeline: unknown command 'frobnicate' (commands: generate, rollback)\n" });
  });

  it("--optimize reports the tables it rewrote and the runs whose undo data it expired", async () => {
    // the text output did not name the expired runs (only --json had them)
    const { file } = tempConfig((cfg) => {
      cfg.optimization = { auto_every_n_runs: 0, undo_retention_runs: 1 };
    });
    expect((await cli(["generate", "--accounts", "30", "--months", "3", "--seed", "5", "--config", file])).code).toBe(EXIT_OK);
    const first = jsonLines((await cli(["--config", file, "--json"])).stdout).at(-1);
    expect((await cli(["generate", "--append", "--seed", "5", "--config", file])).code).toBe(EXIT_OK);
    expect(jsonLines((await cli(["--config", file, "--json"])).stdout).at(-1)).toMatchObject({ status: "succeeded" });
    const opt = await cli(["--config", file, "--optimize"]);
    expect(opt).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(opt.stdout).toMatch(/^optimized in [\d.]+ s: data [\d.]+ MiB → [\d.]+ MiB; file [\d.]+ MiB → [\d.]+ MiB/);
    expect(opt.stdout).toContain("  summary: ");
    expect(opt.stdout).toContain(
      `  undo data expired (beyond optimization.undo_retention_runs = 1): run(s) ${String(first?.runId)} can no longer be rolled back\n`,
    );
    const rb = await cli(["rollback", String(first?.runId), "--config", file]);
    expect(rb.code).not.toBe(EXIT_OK);
    expect(rb.stderr).toMatch(/expired/);
  });

  it("rolls back the last run (audited), refuses it twice, and the next run reads its input again", async () => {
    const { file } = tempConfig();
    expect((await cli(["generate", "--accounts", "40", "--months", "3", "--seed", "5", "--config", file])).code).toBe(EXIT_OK);
    const first = jsonLines((await cli(["--config", file, "--json"])).stdout).at(-1);
    expect(first).toMatchObject({ type: "result", status: "succeeded" });
    expect((await cli(["generate", "--append", "--seed", "5", "--config", file])).code).toBe(EXIT_OK);
    const second = jsonLines((await cli(["--config", file, "--json"])).stdout).at(-1);
    expect(second).toMatchObject({ type: "result", status: "succeeded" });
    const id = String(second?.runId);

    const rb = await cli(["rollback", id, "--config", file]);
    expect(rb).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(rb.stdout).toMatch(new RegExp(`^rolled back run ${id} in [\\d.]+ s\n  accounts restored: \\d+; summary rows: [\\d,]+ → [\\d,]+\n`));
    const control = openControlDb({ url: CONTROL_URL }).client;
    expect((await control.run.findUnique({ where: { id } }))?.status).toBe("rolled_back");
    expect((await control.auditEvent.findMany({ where: { type: "run.rollback", runId: id } })).map((e) => e.message)).toEqual([`rolled back run ${id}`]);

    const again = await cli(["rollback", id, "--config", file, "--json"]);
    expect(again).toMatchObject({ code: EXIT_FAILURE, stderr: `summary-pipeline: run ${id} is already rolled back\n` });
    const refused = await control.auditEvent.findMany({ where: { type: "run.rollback", level: "error" } });
    expect(refused.at(-1)?.message).toBe(`rollback of run ${id} refused: run ${id} is already rolled back`);
    expect(await cli(["rollback", "nope", "--config", file])).toMatchObject({
      code: EXIT_USAGE,
      stderr: 'summary-pipeline: a run id is 8 lowercase hex characters, got "nope"\n',
    });
    // the watermark went back: the appended month is read again, the same rows as before
    const third = jsonLines((await cli(["--config", file, "--json"])).stdout).at(-1);
    expect(third).toMatchObject({ type: "result", status: "succeeded", counts: second?.counts });
    const rbJson = jsonLines((await cli(["rollback", String(first?.runId), "--config", file, "--json"])).stdout);
    expect(rbJson).toHaveLength(1);
    expect(rbJson[0]).toMatchObject({ type: "rollback", runs: [{ runId: third?.runId }, { runId: first?.runId, mode: "initial" }] });
  });

  it("--check reads every row: all hold after a run, a corrupted grid exits 1 naming the check", async () => {
    const { file, database } = tempConfig();
    expect((await cli(["generate", "--accounts", "30", "--months", "4", "--seed", "9", "--config", file])).code).toBe(EXIT_OK);
    expect((await cli(["--config", file])).code).toBe(EXIT_OK);
    const ok = await cli(["--check", "--config", file]);
    expect(ok).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(ok.stdout).toMatch(/^all invariants hold over [\d,]+ summary rows \([\d.]+ s\)\n$/);
    const engine = await openEngine({ database });
    const conn = await engine.connect();
    // a row that is not its account's latest one
    await conn.run(`UPDATE summary SET payment_history_grid = 'x' WHERE rowid = (
      SELECT min(s.rowid) FROM summary s JOIN latest_summary l ON l.cons_acct_key = s.cons_acct_key AND l.rpt_as_of_mo <> s.rpt_as_of_mo)`);
    conn.closeSync();
    await closeEngine(database);
    const bad = await cli(["--check", "--config", file]);
    expect(bad.code).toBe(EXIT_FAILURE);
    expect(bad.stderr).toMatch(/^summary-pipeline: 1 invariant check\(s\) fail over [\d]+ summary rows\n  grid payment_history_grid differs from its array: 1 row\(s\)\n$/);
  });

  it("refuses to optimize or check an engine database that does not exist, and creates none", async () => {
    // both created an empty database and reported success on it
    const { file, database } = tempConfig();
    for (const flag of ["--optimize", "--check"]) {
      const r = await cli(["--config", file, flag]);
      expect(r.code).toBe(EXIT_USAGE);
      expect(r.stderr).toMatch(new RegExp(`^summary-pipeline: engine database .*engine\\.duckdb does not exist: nothing to ${flag.slice(2)} `));
    }
    expect(fs.existsSync(database)).toBe(false);
  });

  it("exits 4 while another process holds the engine database, naming its running run", async () => {
    const { file, database } = tempConfig();
    const control = openControlDb({ url: CONTROL_URL }).client;
    const engine = await openEngine({ database });
    try {
      expect(engine.database).toBe(path.resolve(database));
      const [run, gen, stats, optimize, check] = await Promise.all([
        cli(["--config", file]),
        cli(["generate", "--accounts", "5", "--months", "2", "--config", file]),
        cli(["--config", file, "--stats"]),
        cli(["--config", file, "--optimize"]),
        cli(["--config", file, "--check"]),
      ]);
      expect(run.code).toBe(EXIT_LOCKED);
      // no run is recorded as running: DuckDB's lock names the process
      const held = `summary-pipeline: engine database ${database} is held by another process (PID ${process.pid}) — wait for it or use the dashboard\n`;
      expect(run.stderr).toBe(held);
      // optimize and check say it the same way (they printed DuckDB's lock error)
      for (const o of [optimize, check]) {
        expect(o.code).toBe(EXIT_LOCKED);
        expect(o.stderr).toBe(held);
      }
      expect(gen.code).toBe(EXIT_LOCKED);
      expect(stats.code).toBe(EXIT_LOCKED);
      expect(stats.stderr).toMatch(/^summary-pipeline: engine database .* is held by another process/);

      // a dashboard run of this process (it holds the lock) is named
      await control.run.create({
        data: { id: "1a2b3c4d", status: "running", mode: "incremental", dryRun: false, trigger: "dashboard", owner: `${os.hostname()}:${process.pid}`, startedAt: new Date() },
      });
      const named = await cli(["--config", file, "--json"]);
      expect(named.code).toBe(EXIT_LOCKED);
      expect(named.stderr).toBe(`summary-pipeline: engine database ${database} is held by another process (run 1a2b3c4d, dashboard) — wait for it or use the dashboard\n`);
      const lines = jsonLines(named.stdout);
      expect(lines.at(-1)).toMatchObject({ type: "result", status: "failed", errorCode: "LOCKED" });
      expect(String(lines.at(-1)?.error)).toContain("(run 1a2b3c4d, dashboard)");
      // the refused start is in the audit trail, without a run
      const refused = await control.auditEvent.findMany({ where: { type: "run.fail", runId: null, message: { contains: "held by another process" } } });
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(refused.at(-1)?.message).toMatch(/^incremental run could not start: engine database .* \(run 1a2b3c4d, dashboard\)/);
      // the dashboard's run is alive (this process), so it was not marked interrupted
      expect((await control.run.findUnique({ where: { id: "1a2b3c4d" } }))?.status).toBe("running");
      await control.run.update({ where: { id: "1a2b3c4d" }, data: { status: "succeeded" } });
    } finally {
      await closeEngine(database);
    }
  });

  it("records every run in the control database: runs, dry runs, failures, refused starts, killed runs", async () => {
    const control = openControlDb({ url: CONTROL_URL }).client;
    const { file } = tempConfig();
    expect((await cli(["generate", "--accounts", "50", "--months", "3", "--seed", "7", "--config", file])).code).toBe(EXIT_OK);
    const dry = await cli(["--config", file, "--dry-run", "--json"]);
    const built = await cli(["--config", file, "--json"]);
    expect([dry.code, built.code]).toEqual([EXIT_OK, EXIT_OK]);
    const dryId = String(jsonLines(dry.stdout)[0]?.runId);
    const runId = String(jsonLines(built.stdout)[0]?.runId);
    const runs = await control.run.findMany({ where: { id: { in: [dryId, runId] } }, orderBy: { createdAt: "asc" } });
    expect(runs.map((r) => [r.id, r.status, r.trigger, r.dryRun])).toEqual([
      [dryId, "succeeded", "cli", true],
      [runId, "succeeded", "cli", false],
    ]);
    expect(runs[1]).toMatchObject({ mode: "initial", phase: "done", bucketsDone: 1, bucketsTotal: 1 });
    const events = await control.auditEvent.findMany({ where: { runId }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["run.start", "bucket.attempt", "run.finish"]);

    // a bad config is refused before any run exists, and audited so
    const bad = tempConfig((cfg) => (cfg.history_length = -1));
    expect((await cli(["--config", bad.file])).code).toBe(EXIT_USAGE);
    const refused = await control.auditEvent.findFirst({ where: { type: "run.fail", runId: null, message: { contains: bad.file } }, orderBy: { id: "desc" } });
    expect(refused?.message).toMatch(/^incremental run could not start: invalid config/);

    // a run left running by a process that is gone shows as interrupted once the CLI starts again
    await control.run.create({
      data: { id: "deadbeef", status: "running", mode: "incremental", dryRun: false, trigger: "cli", owner: `${os.hostname()}:999999999`, startedAt: new Date() },
    });
    expect((await cli(["--config", file])).code).toBe(EXIT_OK);
    expect((await control.run.findUnique({ where: { id: "deadbeef" } }))?.status).toBe("interrupted");
    expect(await control.auditEvent.count({ where: { runId: "deadbeef", type: "run.interrupted" } })).toBe(1);
  });

  it("records the config version each run used, storing a config no version holds yet", async () => {
    const url = `file:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sp-cli-versions-")), "control.db")}`;
    dirs.push(path.dirname(url.slice("file:".length)));
    const { file } = tempConfig();
    expect((await cli(["generate", "--accounts", "40", "--months", "3", "--seed", "5", "--config", file], { DATABASE_URL: url })).code).toBe(EXIT_OK);
    const runIdOf = async (args: string[]) => {
      const r = await cli([...args, "--config", file, "--json"], { DATABASE_URL: url });
      expect(r.code).toBe(EXIT_OK);
      return String(jsonLines(r.stdout)[0]?.runId);
    };
    const first = await runIdOf([]);
    const again = await runIdOf([]); // nothing new: the same document, the same version
    const edited = JSON.parse(fs.readFileSync(file, "utf8")) as { resilience: { retry_count: number } };
    edited.resilience.retry_count = 5;
    fs.writeFileSync(file, JSON.stringify(edited));
    const third = await runIdOf(["--mode", "incremental"]);

    const control = openControlDb({ url }).client;
    try {
      const versions = await control.configVersion.findMany({ orderBy: { id: "asc" } });
      const runs = await control.run.findMany({ where: { id: { in: [first, again, third] } } });
      const versionOf = (id: string) => runs.find((r) => r.id === id)?.configVersionId;
      expect(versions.map((v) => [v.id, v.active, v.comment])).toEqual([
        [1, true, `used by a run from ${file}`],
        [2, false, `used by a run from ${file}`],
      ]);
      expect([versionOf(first), versionOf(again), versionOf(third)]).toEqual([1, 1, 2]);
      expect(versions[1]?.diff).toMatch(/^-\s*"retry_count": 3,?$/m);
      expect(versions[1]?.diff).toMatch(/^\+\s*"retry_count": 5,?$/m);
      expect(versions[0]?.author).toMatch(/@/);
      expect(await control.auditEvent.count({ where: { type: "config.save" } })).toBe(2);
    } finally {
      await closeControlDb(url);
    }
  });

  it("goes on with one warning when the control database cannot be opened", async () => {
    const { file } = tempConfig();
    expect((await cli(["generate", "--accounts", "10", "--months", "2", "--config", file])).code).toBe(EXIT_OK);
    const r = await cli(["--config", file, "--json"], { DATABASE_URL: "file::memory:" });
    expect(r.code).toBe(EXIT_OK);
    expect(r.stderr).toMatch(/^summary-pipeline: warning: control database unavailable, this run is not recorded for the dashboard: DATABASE_URL must name a SQLite file.*\n$/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: "result", status: "succeeded" });
  });

  it("--stats: tables, partitions, NULL density and recent runs, for people and as JSON", async () => {
    const { file, database } = tempConfig();
    const none = await cli(["--config", file, "--stats"]);
    expect(none).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(none.stdout).toContain(`engine database ${database} does not exist yet`);
    expect(fs.existsSync(database)).toBe(false);

    expect((await cli(["generate", "--accounts", "200", "--months", "4", "--seed", "5", "--config", file])).code).toBe(EXIT_OK);
    expect((await cli(["--config", file])).code).toBe(EXIT_OK);
    const text = await cli(["--config", file, "--stats"]);
    expect(text).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(text.stdout).toMatch(/^engine database .*engine\.duckdb: [\d.]+ (KiB|MiB) on disk/);
    expect(text.stdout).toMatch(/\n {2}table\s+rows\s+accounts\s+months\s+bytes\s+bytes\/row\n/);
    expect(text.stdout).toMatch(/\n {2}summary\s+[\d,]+\s+200\s+\d{4}-\d{2}\.\.\d{4}-\d{2}\s+[\d.]+ \w+\s+[\d.]+\n/);
    expect(text.stdout).toMatch(/\n {2}latest_summary\s+200\s+200\s/);
    expect(text.stdout).toMatch(/\n {2}accounts_all \(source\)\s+[\d,]+\s+200\s/);
    expect(text.stdout).toMatch(/\n {2}\d+ partitions: min [\d,]+ · mean [\d,.]+ · max [\d,]+ · skew \d\.\d{3}/);
    expect(text.stdout).toMatch(/\n {2}balance_history \(L=36\)\s+(<1|\d+) /);
    expect(text.stdout).toMatch(/100×\d+\n/); // months before the first one are all NULL
    expect(text.stdout).toMatch(/\n {2}[0-9a-f]{8}\s+succeeded\s+initial\s+[\d,]+\s/);
    expect(text.stdout).toContain("phase timings");

    const json = await cli(["--config", file, "--stats", "--json"]);
    expect(json.code).toBe(EXIT_OK);
    const lines = jsonLines(json.stdout);
    expect(lines).toHaveLength(1);
    const stats = lines[0] as unknown as PipelineStats & { type: string };
    expect(stats.type).toBe("stats");
    expect(stats.tables.find((t) => t.name === "summary")).toMatchObject({ exists: true, accounts: 200 });
    expect(stats.partitions?.rows.reduce((a, p) => a + p.rows, 0)).toBe(stats.tables[0]?.rows);
    expect(stats.nullDensity.find((d) => d.column === "balance_history")?.density).toHaveLength(36);
    expect(stats.runs[0]).toMatchObject({ status: "succeeded", mode: "initial" });
    expect(Object.keys(stats.runs[0]?.timings ?? {})).toContain("execute");

    const conflicting = await cli(["--config", file, "--stats", "--resume", "0123abcd"]);
    expect(conflicting.code).toBe(EXIT_USAGE);
  });

  it("renders NULL density compactly", () => {
    expect(densityLine([0, 0.004, 0.5, 0.999, 1, 1, 1, 1])).toBe("0 <1 50 >99 100×4");
  });

  it("exits 3 with the resume command when a recorded run fails", async () => {
    const { file } = tempConfig((cfg) => {
      // a rating that does not cast makes staging fail once the run is recorded
      const rolling = cfg.rolling_columns as Record<string, unknown>[];
      rolling[3] = { ...rolling[3], mapper_expr: "CAST(payment_rating_cd || 'x' AS INTEGER)", data_type: "Integer" };
      cfg.grid_columns = [];
    });
    expect((await cli(["generate", "--accounts", "20", "--months", "2", "--config", file])).code).toBe(EXIT_OK);
    const r = await cli(["--config", file]);
    expect(r.code).toBe(EXIT_RESUMABLE);
    const m = /^summary-pipeline: run ([0-9a-f]{8}) failed: (.+)\nresume with: summary-pipeline --resume ([0-9a-f]{8}) --config (.+)\n$/.exec(r.stderr);
    expect(m?.[1]).toBe(m?.[3]);
    expect(m?.[2]).toMatch(/^a configured expression fails on a value of the source \(accounts_all\): rolling_columns\[3\]\.mapper_expr: Conversion Error/);
    expect(m?.[4]).toBe(file);
    const resumed = await cli(["--config", file, "--resume", m?.[1] ?? "", "--json"]);
    expect(resumed.code).toBe(EXIT_RESUMABLE);
    const lines = jsonLines(resumed.stdout);
    expect(lines[0]).toMatchObject({ type: "run", runId: m?.[1], resumed: true });
    expect(lines.at(-1)).toMatchObject({ type: "result", status: "failed", errorCode: "SOURCE" });
  });
});

describe("exit codes and reports", () => {
  const base: RunResult = { runId: "0123abcd", status: "succeeded", mode: "initial", dryRun: false, counts: emptyCounts(), timings: {} };

  it("map a run's outcome to what a scheduler acts on", () => {
    expect(exitCodeOfRun(base)).toBe(EXIT_OK);
    expect(exitCodeOfRun({ ...base, status: "failed", errorCode: "ENGINE" })).toBe(EXIT_RESUMABLE);
    expect(exitCodeOfRun({ ...base, status: "cancelled" })).toBe(EXIT_RESUMABLE);
    expect(exitCodeOfRun({ ...base, status: "failed", errorCode: "CONFIG_INVALID" })).toBe(EXIT_USAGE);
    expect(exitCodeOfRun({ ...base, status: "failed", errorCode: "LOCKED" })).toBe(EXIT_LOCKED);
    expect(exitCodeOfRun({ ...base, status: "failed", dryRun: true, errorCode: "SOURCE" })).toBe(EXIT_FAILURE);
  });

  it("render counts, timings and durations for people", () => {
    const text = renderRun(
      { ...base, counts: { ...emptyCounts(), read: 1234567, forwardRecords: 12, rowsInserted: 5 }, timings: { read: 15, execute: 61_500, total: 62_000 } },
      [],
    );
    expect(text).toMatch(/^run 0123abcd: succeeded \(initial\)\n/);
    expect(text).toMatch(/read\s+1,234,567\n/);
    expect(text).toMatch(/forward\s+12\n/);
    expect(text).toMatch(/inserted\s+5\n/);
    expect(text).toMatch(/execute\s+1 min 02 s\n\s+total\s+1 min 02 s\n$/);
    expect(formatDuration(999)).toBe("999 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
  });
});
