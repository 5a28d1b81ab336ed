// How a run shows itself while it goes: JSON lines for schedulers (first `run`, last `result`),
// or, for people, a progress bar on a terminal and a report at the end.
import { Presets, SingleBar } from "cli-progress";
import type { PipelineEvent, RunResult } from "../api";
import { describeError, isPipelineError } from "../errors";
import type { CliIo } from "./io";
import { formatCount, renderRun } from "./render";

export interface RunReporter {
  event(e: PipelineEvent): void;
  /** The run finished (whatever its status). */
  result(r: RunResult): void;
  /** The run could not start or crashed: there is no result. */
  failure(err: unknown): void;
}

/**
 * One JSON object per line on stdout. The engine announces a run only once it starts writing, so
 * events before that are held back, and a run that never announces itself (a dry run, nothing new,
 * a refused start) gets its `run` line made up from the result.
 */
export class JsonReporter implements RunReporter {
  private announced = false;
  private held: PipelineEvent[] = [];

  constructor(
    private readonly io: CliIo,
    private readonly resume: string | undefined,
  ) {}

  private line(obj: unknown): void {
    this.io.out(JSON.stringify(obj) + "\n");
  }

  event(e: PipelineEvent): void {
    if (e.type === "run" && !this.announced) {
      this.announced = true;
      this.line(e);
      for (const h of this.held) this.line(h);
      this.held = [];
    } else if (this.announced) {
      this.line(e);
    } else {
      this.held.push(e);
    }
  }

  private announce(runId: string | null, status: string, mode: string | null, dryRun: boolean): void {
    if (this.announced) return;
    this.announced = true;
    this.line({ type: "run", runId, status, mode, resumed: this.resume !== undefined, dryRun });
    for (const h of this.held) this.line(h);
    this.held = [];
  }

  result(r: RunResult): void {
    this.announce(r.runId, r.status, r.mode, r.dryRun);
    this.line({
      type: "result",
      runId: r.runId,
      status: r.status,
      mode: r.mode,
      dryRun: r.dryRun,
      counts: r.counts,
      timings: r.timings,
      ...(r.plan ? { plan: r.plan } : {}),
      ...(r.error !== undefined ? { error: r.error, errorCode: r.errorCode } : {}),
    });
  }

  failure(err: unknown): void {
    const runId = this.resume ?? null;
    this.announce(runId, "failed", null, false);
    this.line({
      type: "result",
      runId,
      status: "failed",
      // no run counted or timed anything: empty objects, the shape a result always has (SPEC §10)
      counts: {},
      timings: {},
      error: describeError(err),
      errorCode: isPipelineError(err) ? err.code : "ENGINE",
    });
  }
}

/** A progress bar on a terminal (fed by progress events), retry warnings, and a report at the end. */
export class HumanReporter implements RunReporter {
  private bar: SingleBar | null = null;
  private readonly notes: string[] = [];

  constructor(private readonly io: CliIo) {}

  event(e: PipelineEvent): void {
    switch (e.type) {
      case "run":
        if (!this.io.tty) this.io.out(`${e.dryRun ? "dry run" : "run"} ${e.runId}: ${e.resumed ? "resumed" : "started"} (${e.mode})\n`);
        break;
      case "progress":
        this.progress(e);
        break;
      case "bucket":
        if (e.status === "failed" && e.retryable) {
          this.clearBar();
          this.io.err(`summary-pipeline: bucket ${e.bucket} attempt ${e.attempt + 1} failed, retrying: ${e.error ?? "unknown error"}\n`);
        }
        break;
      case "log":
        // errors come back with the result; info lines ("nothing new to ingest …") go into the report
        if (e.level === "info" && e.message !== "run succeeded") this.notes.push(e.message);
        else if (e.level === "warn") this.notes.push(`warning: ${e.message}`);
        break;
    }
  }

  private progress(e: Extract<PipelineEvent, { type: "progress" }>): void {
    if (!this.io.tty) return;
    const payload = { phase: e.phase, rows: formatCount(e.rows) };
    if (!this.bar) {
      this.bar = new SingleBar(
        {
          stream: this.io.tty,
          format: "{phase} |{bar}| {value}/{total} buckets | {rows} rows | ETA {eta_formatted}",
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        Presets.shades_classic,
      );
      this.bar.start(e.bucketsTotal, e.bucketsDone, payload);
    } else {
      this.bar.setTotal(e.bucketsTotal);
      this.bar.update(e.bucketsDone, payload);
    }
  }

  private clearBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }

  result(r: RunResult): void {
    this.clearBar();
    this.io.out(renderRun(r, this.notes));
  }

  failure(): void {
    this.clearBar();
  }
}
