"use client";
// The bucket attempts of a run on a time axis since the run started (a Gantt chart): a bar from each
// attempt's start to its end, coloured by outcome; a bucket tried more than once has a row per
// attempt, and a resumed run shows the gap between its executions.
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import { BUCKET_STATUS_COLORS } from "./case-legend";
import { formatCount, formatDuration } from "./run-format";

export interface TimelineAttempt {
  bucket: number;
  status: "succeeded" | "retrying" | "failed";
  rows: number;
  startedAt: Date;
  finishedAt: Date;
  error: string | null;
}

interface Datum {
  label: string;
  span: [number, number];
  attempt: TimelineAttempt;
}

function TimelineTooltip({ active, payload }: TooltipContentProps) {
  const d = active ? (payload[0]?.payload as Datum | undefined) : undefined;
  if (!d) return null;
  const a = d.attempt;
  return (
    <div
      style={{
        background: "var(--color-panel-solid)",
        border: "1px solid var(--gray-a6)",
        borderRadius: 6,
        padding: "6px 10px",
        fontSize: 12,
        maxWidth: 360,
      }}
    >
      <strong>{d.label.replace("#", "bucket ")}</strong>{" "}
      · {a.status}
      <br />
      {formatCount(a.rows)} rows · {formatDuration(a.finishedAt.getTime() - a.startedAt.getTime())} ·{" "}
      {(d.span[0] / 1000).toFixed(2)} s → {(d.span[1] / 1000).toFixed(2)} s
      {a.error ? (
        <>
          <br />
          <span style={{ color: "var(--red-11)" }}>{a.error}</span>
        </>
      ) : null}
    </div>
  );
}

const STEPS_MS = [100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];

/** A round tick interval giving at most 8 intervals up to the end. */
function tickStep(endMs: number): number {
  return STEPS_MS.find((s) => endMs / s <= 8) ?? Math.ceil(endMs / 8 / 3_600_000) * 3_600_000;
}

function secondsLabel(ms: number, step: number): string {
  if (step >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 1000).toFixed(step < 1000 ? 1 : 0)} s`;
}

export function ChartBucketTimeline({ attempts, runStartedAt }: { attempts: TimelineAttempt[]; runStartedAt: Date | null }) {
  if (attempts.length === 0) return null;
  // in time order: a resumed execution numbers its attempts from 1 again
  const sorted = [...attempts].sort((x, y) => x.bucket - y.bucket || x.startedAt.getTime() - y.startedAt.getTime());
  const tries = new Map<number, number>();
  for (const a of sorted) tries.set(a.bucket, (tries.get(a.bucket) ?? 0) + 1);
  const seen = new Map<number, number>();
  const t0 = Math.min(runStartedAt?.getTime() ?? Infinity, ...sorted.map((a) => a.startedAt.getTime()));
  const data: Datum[] = sorted.map((a) => {
    const nth = (seen.get(a.bucket) ?? 0) + 1;
    seen.set(a.bucket, nth);
    return {
      label: (tries.get(a.bucket) ?? 1) > 1 ? `#${a.bucket} try ${nth}` : `#${a.bucket}`,
      span: [a.startedAt.getTime() - t0, Math.max(a.finishedAt.getTime(), a.startedAt.getTime() + 1) - t0],
      attempt: a,
    };
  });
  const end = Math.max(...data.map((d) => d.span[1]));
  const step = tickStep(end);
  const ticks = Array.from({ length: Math.ceil(end / step) + 1 }, (_, i) => i * step);
  const height = Math.min(640, 50 + data.length * 22);
  const labelWidth = data.some((d) => d.label.includes("try")) ? 72 : 44;
  return (
    <div data-testid="chart-bucket-timeline">
      <BarChart responsive layout="vertical" data={data} style={{ width: "100%", height }} margin={{ left: 8, right: 16 }} barCategoryGap={3}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" domain={[0, ticks.at(-1) ?? "auto"]} ticks={ticks} tickFormatter={(v: number) => secondsLabel(v, step)} fontSize={12} />
        <YAxis type="category" dataKey="label" width={labelWidth} fontSize={11} interval={0} />
        <Tooltip content={TimelineTooltip} cursor={{ fill: "var(--gray-a3)" }} />
        <Bar dataKey="span" isAnimationActive={false} minPointSize={3}>
          {data.map((d) => (
            <Cell key={d.label} fill={BUCKET_STATUS_COLORS[d.attempt.status] ?? "var(--gray-8)"} />
          ))}
        </Bar>
      </BarChart>
    </div>
  );
}
