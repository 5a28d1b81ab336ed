// Kill -9 and resume (SPEC §7): the CLI is killed at a random instant of a run — while it starts,
// stages, inside or between bucket transactions, while it finalizes — then the run is resumed
// until it succeeds; the tables must equal those of an uninterrupted run and the reference.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { closeControlDb, openControlDb } from "../src/control/db";
import { closeEngine, openEngine, queryOne } from "../src/pipeline/engine/duckdb";
import { tableExists } from "../src/pipeline/state/store";
import { makeWorkspace, readTables, REF_CONFIG, writeBatch, type Workspace } from "./harness";
import { referenceTables, sortRows, type RefRecord, type RefRow } from "./reference";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KILLS = Number(process.env.SP_KILLS ?? 20);
/** Workspaces killed side by side (each child runs DuckDB on one thread). */
const LANES = Math.max(1, Number(process.env.SP_KILL_LANES ?? 2));
const ACCOUNTS = Number(process.env.SP_KILL_ACCOUNTS ?? 220);
const BASE_MI = 2023 * 12;

// ---------------------------------------------------------------------------------------------
// Input: three batches — an initial build, then two incremental batches with forward months,
// corrections, late months, tombstones, stale records and new accounts.

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function makeBatches(accounts: number, months: number, seed: number): RefRecord[][] {
  const rnd = rng(seed);
  const live = (acct: string, m: number, ts: number): RefRecord => ({
    acct,
    mi: BASE_MI + m,
    ts,
    stat: "11",
    typ: rnd() < 0.5 ? "A" : "B",
    balance: rnd() < 0.05 ? null : Math.floor(rnd() * 5000),
    rating: rnd() < 0.05 ? null : String(Math.floor(rnd() * 6)),
    limit: rnd() < 0.05 ? -1 : 1000 * (1 + Math.floor(rnd() * 5)),
  });
  const tomb = (acct: string, m: number, ts: number): RefRecord => ({ acct, mi: BASE_MI + m, ts, stat: rnd() < 0.5 ? "DA" : "DF", typ: "A", balance: null, rating: null, limit: null });
  const b1: RefRecord[] = [];
  const b2: RefRecord[] = [];
  const b3: RefRecord[] = [];
  const gaps: [string, number][] = [];
  for (let a = 0; a < accounts; a++) {
    const acct = `k${String(a).padStart(5, "0")}`;
    const first = Math.floor(rnd() * 3);
    for (let m = first; m < months; m++) {
      if (rnd() < 0.08) {
        gaps.push([acct, m]);
        continue;
      }
      b1.push(live(acct, m, 1000 + m * 10));
    }
    // batch 2: the next month for most accounts, corrections and tombstones of earlier months
    if (rnd() < 0.85) b2.push(live(acct, months, 50_000));
    if (rnd() < 0.1) b2.push(live(acct, first + Math.floor(rnd() * (months - first)), 60_000)); // correction
    if (rnd() < 0.04) b2.push(tomb(acct, first + Math.floor(rnd() * (months - first)), 61_000)); // soft delete
    if (rnd() < 0.03) b2.push({ ...live(acct, first, 1), ts: 1 }); // stale
    // batch 3: two months forward for some (a skipped month), late data, deletes of the latest month
    if (rnd() < 0.5) b3.push(live(acct, months + (rnd() < 0.3 ? 2 : 1), 90_000));
    else if (rnd() < 0.1) b3.push(tomb(acct, months, 91_000));
  }
  for (const [acct, m] of gaps) if (rnd() < 0.5) b3.push(live(acct, m, 95_000)); // late arrivals fill gaps
  for (let a = accounts; a < accounts + Math.ceil(accounts / 20); a++) {
    const acct = `k${String(a).padStart(5, "0")}`;
    for (let m = months - 4; m <= months; m++) b2.push(live(acct, m, 70_000 + m)); // new accounts with history
  }
  return [b1, b2, b3];
}

// ---------------------------------------------------------------------------------------------
// The CLI as a child process, its JSON lines read as they come.

interface Line {
  type: string;
  runId?: string;
  status?: string;
  phase?: string;
  bucketsDone?: number;
  bucketsTotal?: number;
  [k: string]: unknown;
}

interface Child {
  lines: Line[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

function spawnCli(args: string[], env: Record<string, string>, onLine?: (line: Line) => void): Child {
  const child = spawn(process.execPath, ["--import", "tsx", "src/pipeline/cli.ts", ...args], {
    cwd: repo,
    env: { ...process.env, PIPELINE_CONFIG: "", DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Line[] = [];
  let partial = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    partial += d.toString();
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!text.trim()) continue;
      const line = JSON.parse(text) as Line;
      lines.push(line);
      onLine?.(line);
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return { lines, stderr: () => stderr, exited, kill: () => child.kill("SIGKILL") };
}

/** Where a run was when it was killed, from the JSON lines it had printed. */
function phaseOf(lines: Line[]): string {
  if (lines.some((l) => l.type === "result")) return "after the result";
  if (!lines.some((l) => l.type === "run")) return "starting (no run line)";
  if (!lines.some((l) => l.type === "plan")) return "staging";
  const progress = lines.filter((l) => l.type === "progress").at(-1);
  if (!progress) return "staging commit";
  if ((progress.bucketsDone ?? 0) < (progress.bucketsTotal ?? 0)) return "buckets";
  return "finalize";
}

// ---------------------------------------------------------------------------------------------
// A workspace at a fixed path (the file manifest records absolute paths), whose state before each
// batch is kept as a template copied back in before a kill.

interface Setup {
  ws: Workspace;
  configFile: string;
  env: Record<string, string>;
}

function setup(): Setup {
  const ws = makeWorkspace({ name: "kill" });
  ws.config.partitioning.target_rows_per_partition = 40;
  const configFile = path.join(ws.dir, "pipeline_config.json");
  fs.writeFileSync(configFile, JSON.stringify(ws.config, null, 2));
  return { ws, configFile, env: { DATABASE_URL: `file:${path.join(ws.dir, "control.db")}` } };
}

function snapshot(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}

function restore(template: string, dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(template, dir, { recursive: true });
}

async function tablesOf(ws: Workspace): Promise<{ summary: RefRow[]; latest: RefRow[] }> {
  try {
    const t = await readTables(ws);
    return { summary: sortRows(t.summary), latest: sortRows(t.latest) };
  } finally {
    await closeEngine(ws.database);
  }
}

/** The run to resume after a kill: the one the CLI announced, else the newest unfinished one. */
async function runToResume(ws: Workspace, announced: string | undefined): Promise<{ runId: string; status: string } | null> {
  if (!fs.existsSync(ws.database)) return null;
  const engine = await openEngine({ database: ws.database });
  const conn = await engine.connect();
  try {
    if (!(await tableExists(conn, "_sp", "runs"))) return null;
    const row = announced
      ? await queryOne(conn, "SELECT run_id, status FROM _sp.runs WHERE run_id = $1", [announced])
      : await queryOne(conn, "SELECT run_id, status FROM _sp.runs WHERE status <> 'succeeded' ORDER BY seq DESC LIMIT 1");
    return row ? { runId: String(row.run_id), status: String(row.status) } : null;
  } finally {
    conn.closeSync();
    await closeEngine(ws.database);
  }
}

function duplicates(rows: RefRow[], key: (r: RefRow) => string): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const r of rows) {
    const k = key(r);
    if (seen.has(k)) dups.push(k);
    seen.add(k);
  }
  return dups;
}

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
});

type Tables = { summary: RefRow[]; latest: RefRow[] };

interface Kill {
  /** 1-based, over all lanes. */
  n: number;
  /** The batch whose run is killed (0-based). */
  batch: number;
  /** Fraction of T at which it is killed; or "finalize": as soon as the last bucket is reported. */
  at: number | "finalize";
}

interface KillOutcome {
  ok: boolean;
  phase: string;
  line: string;
}

/**
 * One lane: a workspace of its own (the lanes run side by side). Its uninterrupted runs, one per
 * batch, are timed and their tables kept; then each kill restores the state before its batch,
 * kills the run, resumes it until it succeeded and compares the tables.
 */
async function lane(name: string, batches: RefRecord[][], expected: Tables[], kills: Kill[], seed: number): Promise<{ outcomes: KillOutcome[]; log: string; uninterrupted: Tables[] }> {
  const { ws, configFile, env } = setup();
  const templates = fs.mkdtempSync(path.join(os.tmpdir(), `sp-kill-templates-${name}-`));
  cleanup.push(ws.dir, templates);

  const durations: number[] = [];
  const uninterrupted: Tables[] = [];
  const notes: string[] = [];
  for (let k = 0; k < batches.length; k++) {
    snapshot(ws.dir, path.join(templates, `before-${k}`));
    writeBatch(ws, batches[k] ?? []);
    const started = performance.now();
    const child = spawnCli(["--config", configFile, "--json"], env);
    const { code } = await child.exited;
    durations.push(performance.now() - started);
    expect(code, child.stderr()).toBe(0);
    const result = child.lines.at(-1);
    expect(result).toMatchObject({ type: "result", status: "succeeded", mode: k === 0 ? "initial" : "incremental" });
    const plan = child.lines.find((l) => l.type === "plan")?.plan as { buckets: { count: number } } | undefined;
    if (k === 0) expect(plan?.buckets.count).toBeGreaterThanOrEqual(32);
    const tables = await tablesOf(ws);
    expect(tables).toEqual(expected[k]);
    uninterrupted.push(tables);
    notes.push(`batch ${k + 1} (${result?.mode}): ${batches[k]?.length} records, ${plan?.buckets.count} buckets, T = ${Math.round(durations[k] ?? 0)} ms, engine ${JSON.stringify(result?.timings)}`);
  }

  const outcomes: KillOutcome[] = [];
  for (const kill of kills) {
    const k = kill.batch;
    const T = durations[k] ?? 0;
    const delay = kill.at === "finalize" ? 0 : Math.round(T * kill.at);
    restore(path.join(templates, `before-${k}`), ws.dir);
    ws.batches = k;
    writeBatch(ws, batches[k] ?? []);

    const allBucketsDone = (l: Line) => l.type === "progress" && (l.bucketsTotal ?? 0) > 0 && l.bucketsDone === l.bucketsTotal;
    const child: Child = spawnCli(["--config", configFile, "--json"], env, (l) => {
      if (kill.at === "finalize" && allBucketsDone(l)) child.kill();
    });
    const timer = kill.at === "finalize" ? undefined : setTimeout(() => child.kill(), delay);
    const { code, signal } = await child.exited;
    clearTimeout(timer);
    let phase = signal === "SIGKILL" ? phaseOf(child.lines) : `finished before the kill (exit ${code})`;
    if (phase === "finalize") {
      const after = await runToResume(ws, child.lines.find((l) => l.type === "run")?.runId);
      phase = after?.status === "succeeded" ? "finalize (after its commit)" : "finalize (before its commit)";
    }

    // resume until the run has succeeded: the run the CLI announced, else the newest unfinished
    // one in the engine; a plain run when the killed one left no run at all
    let runId = child.lines.find((l) => l.type === "run")?.runId;
    const steps: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const target = await runToResume(ws, runId);
      runId = target?.runId ?? runId;
      if (target?.status === "succeeded") break;
      const args = target ? ["--config", configFile, "--json", "--resume", target.runId] : ["--config", configFile, "--json"];
      const next = spawnCli(args, env);
      const out = await next.exited;
      steps.push(`${target ? `resume ${target.runId}` : "new run"} → exit ${out.code}`);
      if (out.code !== 0) steps.push(JSON.stringify(next.stderr().trim()));
      if (out.code === 0 && !target) break;
    }
    if (steps.length === 0 && runId) {
      // the run had committed before the kill: the next run (nothing new to read) records it
      const next = spawnCli(["--config", configFile, "--json"], env);
      const out = await next.exited;
      steps.push(`next run → exit ${out.code}`);
    }
    const final = await runToResume(ws, runId);
    let tables: Tables = { summary: [], latest: [] };
    let readError = "";
    try {
      tables = await tablesOf(ws);
    } catch (err) {
      readError = err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err);
    }
    const dupSummary = duplicates(tables.summary, (r) => `${r.acct}|${r.mi}`);
    const dupLatest = duplicates(tables.latest, (r) => r.acct);
    const text = JSON.stringify(tables);
    const sameAsUninterrupted = text === JSON.stringify(uninterrupted[k]);
    const sameAsReference = text === JSON.stringify(expected[k]);
    let control = "";
    if (runId) {
      // the control database shows the run (interrupted, then resumed) as succeeded
      const handle = openControlDb({ url: env.DATABASE_URL });
      try {
        const row = await handle.client.run.findUnique({ where: { id: runId }, select: { status: true } });
        if (row && row.status !== "succeeded") control = `control database has run ${runId} ${row.status}`;
      } finally {
        await closeControlDb(env.DATABASE_URL);
      }
    }
    const ok = !readError && sameAsUninterrupted && sameAsReference && dupSummary.length === 0 && dupLatest.length === 0 && (final === null || final.status === "succeeded") && !control;
    let line =
      `#${kill.n} [${name}] batch ${k + 1} killed ${kill.at === "finalize" ? "once all buckets were reported" : `at ${delay} ms (${Math.round(kill.at * 100)}% of T)`}: ${phase}; ${steps.join(", ") || "nothing to resume"}` +
      (ok
        ? ""
        : ` — MISMATCH: ${readError ? `${readError}, ` : ""}uninterrupted ${sameAsUninterrupted}, reference ${sameAsReference}, summary ${tables.summary.length} rows (expected ${expected[k]?.summary.length}), latest ${tables.latest.length} (expected ${expected[k]?.latest.length}), duplicates ${dupSummary.length}/${dupLatest.length}, engine run ${final?.status ?? "none"}${control ? `, ${control}` : ""}`);
    if (!ok) {
      const kept = path.join(os.tmpdir(), `sp-kill-failure-${seed}-${kill.n}`);
      snapshot(ws.dir, kept);
      line += `\n   workspace kept at ${kept} (batches before: ${k}, then ${path.basename(fs.readdirSync(ws.inbox).sort().at(-1) ?? "")})`;
    }
    outcomes.push({ ok, phase, line });
  }
  return { outcomes, log: `[${name}] ${notes.join("; ")}`, uninterrupted };
}

describe("kill -9 and resume through the CLI", () => {
  it(`gives the tables of an uninterrupted run, ${KILLS} kills out of ${KILLS}`, { timeout: 420_000 }, async () => {
    const t0 = performance.now();
    const batches = makeBatches(ACCOUNTS, 6, 11);
    const expected = batches.map((_, k) => referenceTables(batches.slice(0, k + 1), REF_CONFIG));
    // the kill instants: batches in turn (initial, incremental, incremental), at random in [0.2 T, 1.1 T]
    const seed = Number(process.env.SP_KILL_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    console.log(`kill and resume: seed ${seed} (SP_KILL_SEED=${seed} repeats the kill instants)`);
    const kills: Kill[] = Array.from({ length: KILLS }, (_, i) => ({ n: i + 1, batch: i % batches.length, at: 0.2 + 0.9 * random() }));
    // finalize is a small share of T, so random instants rarely hit it: two kills aimed at it
    const aimed: Kill[] = [0, 1].map((batch, i) => ({ n: KILLS + i + 1, batch, at: "finalize" }));
    const all = [...kills, ...aimed];
    const lanes = Array.from({ length: LANES }, (_, l) => all.filter((_, i) => i % LANES === l));
    const results = await Promise.all(lanes.map((list, l) => lane(`lane ${l + 1}`, batches, expected, list, seed)));

    const outcomes = results.flatMap((r) => r.outcomes).sort((a, b) => Number(/#(\d+)/.exec(a.line)?.[1]) - Number(/#(\d+)/.exec(b.line)?.[1]));
    const phases = new Map<string, number>();
    for (const o of outcomes) phases.set(o.phase, (phases.get(o.phase) ?? 0) + 1);
    const passed = outcomes.filter((o) => o.ok && Number(/#(\d+)/.exec(o.line)?.[1]) <= KILLS).length;
    console.log(
      `kill and resume (seed ${seed}, ${LANES} lanes): ${passed}/${KILLS} random kills (+ ${aimed.length} aimed at finalize: ${outcomes.filter((o) => o.ok).length - passed}/${aimed.length}) equal to the uninterrupted run and the reference, in ${Math.round((performance.now() - t0) / 1000)} s\n` +
        `kills by phase: ${[...phases.entries()].map(([p, n]) => `${p}: ${n}`).join(", ")}\n` +
        `${results.map((r) => r.log).join("\n")}\n${outcomes.map((o) => o.line).join("\n")}`,
    );
    for (const r of results.slice(1)) expect(r.uninterrupted).toEqual(results[0]?.uninterrupted);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.line)).toEqual([]);
    expect(passed).toBe(KILLS);
  });
});
