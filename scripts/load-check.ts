// Load check (not a test): fires bounded, concurrent read queries at a running dashboard — table
// stats, the audit trail, the account inspector — through the tRPC HTTP API, optionally while a run
// launched through the API executes, and prints p50/p95/max latency per query. Starts nothing itself
// and only talks to 127.0.0.1.
//
//   BASE_URL=http://127.0.0.1:3000 [OPERATOR_TOKEN=…] npx tsx scripts/load-check.ts
//
// Environment: BASE_URL (required), OPERATOR_TOKEN (launch a run first, if runs.launch exists),
// RUN_MODE (initial | incremental; default initial, so the run has work to do), ACCOUNT (key for the
// inspector; default 1), REQUESTS per query (default 200), CONCURRENCY (requests in flight across all
// queries; default 4), TIME_CAP_S (default 120). Exit 1 when a request failed or the cap cut the load.

interface QuerySpec {
  name: string;
  path: string;
  input?: unknown;
}

interface Sample {
  query: string;
  ms: number;
  ok: boolean;
  error?: string;
  /** A run was observed active when the request started. */
  duringRun: boolean;
}

const LIMITS = { requests: 2000, concurrency: 32, timeCapS: 600 };

function intEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be an integer from 1 to ${max}, not ${raw}`);
  return n;
}

function baseUrl(): URL {
  const raw = process.env.BASE_URL;
  if (!raw) throw new Error("set BASE_URL to the running dashboard, e.g. BASE_URL=http://127.0.0.1:3000");
  const url = new URL(raw);
  if (url.hostname !== "127.0.0.1" || url.protocol !== "http:") throw new Error(`BASE_URL must be http://127.0.0.1:<port>, not ${raw}`);
  return url;
}

function queryUrl(base: URL, path: string, input?: unknown): string {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return new URL(`/api/trpc/${path}${q}`, base).toString();
}

/** A tRPC answer: `{ result: { data: { json } } }` or `{ error: { json: { message } } }`. */
async function readAnswer(res: Response): Promise<{ ok: true; data: unknown } | { ok: false; error: string }> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: `HTTP ${res.status}: ${text.slice(0, 120)}` };
  }
  const b = body as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string }; message?: string } };
  if (res.ok && b.result) return { ok: true, data: b.result.data?.json };
  return { ok: false, error: `HTTP ${res.status}: ${b.error?.json?.message ?? b.error?.message ?? text.slice(0, 120)}` };
}

async function getJson(base: URL, path: string, input: unknown, signal: AbortSignal) {
  const res = await fetch(queryUrl(base, path, input), { signal });
  return readAnswer(res);
}

async function launchRun(base: URL, token: string, mode: string): Promise<string | null> {
  const res = await fetch(new URL("/api/trpc/runs.launch", base), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, origin: base.origin },
    body: JSON.stringify({ json: { mode } }),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = await readAnswer(res);
  if (!answer.ok) {
    console.log(`could not launch a run (${answer.error}); measuring reads only`);
    return null;
  }
  const runId = (answer.data as { runId?: string } | undefined)?.runId ?? null;
  console.log(`launched ${mode} run ${runId ?? "(no id in the answer)"}`);
  return runId;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? "—" : ms.toFixed(1);
}

async function main(): Promise<number> {
  const base = baseUrl();
  const requests = intEnv("REQUESTS", 200, LIMITS.requests);
  const concurrency = intEnv("CONCURRENCY", 4, LIMITS.concurrency);
  const timeCapMs = intEnv("TIME_CAP_S", 120, LIMITS.timeCapS) * 1000;
  const account = (process.env.ACCOUNT ?? "1").trim();
  const mode = process.env.RUN_MODE ?? "initial";
  if (mode !== "initial" && mode !== "incremental") throw new Error(`RUN_MODE must be initial or incremental, not ${mode}`);

  const queries: QuerySpec[] = [
    { name: "tables.stats", path: "tables.stats" },
    { name: "audit.list", path: "audit.list", input: { page: 1, pageSize: 50 } },
    { name: "inspector.account", path: "inspector.account", input: { account } },
  ];

  // one request of each first: a missing procedure or a dead server fails here, not 600 times
  for (const q of queries) {
    const answer = await getJson(base, q.path, q.input, AbortSignal.timeout(30_000));
    if (!answer.ok) throw new Error(`${q.name} does not answer: ${answer.error}`);
  }

  const token = process.env.OPERATOR_TOKEN;
  const runId = token ? await launchRun(base, token, mode) : null;
  let runActive = runId !== null;
  let runSeenFinished: string | null = null;

  const stop = new AbortController();
  const capTimer = setTimeout(() => stop.abort(new Error("time cap reached")), timeCapMs);
  // the run's state, polled alongside the load (one extra request every 500 ms)
  const poller = (async () => {
    while (runId && runActive && !stop.signal.aborted) {
      const answer = await getJson(base, "runs.get", { id: runId }, AbortSignal.timeout(10_000)).catch(() => null);
      const status = answer?.ok ? (answer.data as { status?: string } | undefined)?.status : undefined;
      if (status && status !== "running" && status !== "queued") {
        runActive = false;
        runSeenFinished = status;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  // interleaved jobs, so every query sees the same load and the same phase of the run
  const jobs: QuerySpec[] = [];
  for (let i = 0; i < requests; i++) jobs.push(...queries);
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (!stop.signal.aborted) {
      const job = jobs[next++];
      if (!job) return;
      const duringRun = runActive;
      const t0 = performance.now();
      try {
        const answer = await getJson(base, job.path, job.input, AbortSignal.any([stop.signal, AbortSignal.timeout(30_000)]));
        samples.push({ query: job.name, ms: performance.now() - t0, ok: answer.ok, error: answer.ok ? undefined : answer.error, duringRun });
      } catch (err) {
        if (stop.signal.aborted) return;
        samples.push({ query: job.name, ms: performance.now() - t0, ok: false, error: err instanceof Error ? err.message : String(err), duringRun });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  const capped = stop.signal.aborted;
  clearTimeout(capTimer);
  if (!capped) stop.abort();
  await poller;

  console.log(
    `\n${samples.length} of ${jobs.length} requests in ${(elapsed / 1000).toFixed(1)} s, ${concurrency} in flight` +
      `${capped ? " (stopped at the time cap)" : ""}${runId ? `; run ${runId} ${runSeenFinished ?? "still running at the end"}` : ""}\n`,
  );
  const rows = queries.map((q) => {
    const mine = samples.filter((s) => s.query === q.name);
    const ok = mine.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
    return {
      query: q.name,
      ok: ok.length,
      errors: mine.length - ok.length,
      "during run": mine.filter((s) => s.duringRun).length,
      "p50 ms": fmt(percentile(ok, 50)),
      "p95 ms": fmt(percentile(ok, 95)),
      "max ms": fmt(ok.length ? (ok[ok.length - 1] ?? NaN) : NaN),
    };
  });
  console.table(rows);
  const failures = samples.filter((s) => !s.ok);
  if (failures.length > 0) {
    const kinds = new Map<string, number>();
    for (const f of failures) kinds.set(`${f.query}: ${f.error}`, (kinds.get(`${f.query}: ${f.error}`) ?? 0) + 1);
    console.log("errors:");
    for (const [k, n] of kinds) console.log(`  ${n}× ${k}`);
  }
  return failures.length > 0 || capped ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`load-check: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
