"use client";
// The buckets of a run on a time axis (a Gantt chart): a bar from each bucket's last attempt's
// start to its end, coloured by status; a resumed run shows the gap between its two executions.
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import { BUCKET_STATUS_COLORS } from "./case-legend";
import { formatCount, formatDuration } from "./run-format";

export interface TimelineBucket {
  bucket: number;
  status: string;
  attempts: number;
  rows: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

interface Datum {
  label: string;
  span: [number, number];
  bucket: TimelineBucket;
}

function TimelineTooltip({ active, payload }: TooltipContentProps) {
  const d = active ? (payload[0]?.payload as Datum | undefined) : undefined;
  if (!d) return null;
  const b = d.bucket;
  return (
    <div style={{ background: "var(--color-panel-solid)", border: "1px solid var(--gray-a6)", borderRadius: 6, padding: "6px 10px", fontSize: 12 }}>
      <strong>bucket {b.bucket}</strong> · {b.status}
      <br />
      {b.attempts} attempt{b.attempts === 1 ? "" : "s"} · {formatCount(b.rows)} rows · {formatDuration(b.durationMs)}
      <br />
      {(d.span[0] / 1000).toFixed(2)} s → {(d.span[1] / 1000).toFixed(2)} s after the start
    </div>
  );
}

export function ChartBucketTimeline({ buckets, runStartedAt }: { buckets: TimelineBucket[]; runStartedAt: Date | null }) {
  const timed = buckets.filter((b): b is TimelineBucket & { startedAt: Date; finishedAt: Date } => b.startedAt !== null && b.finishedAt !== null);
  if (timed.length === 0) return null;
  const t0 = Math.min(runStartedAt?.getTime() ?? Infinity, ...timed.map((b) => b.startedAt.getTime()));
  const data: Datum[] = timed.map((b) => ({
    label: `#${b.bucket}`,
    span: [b.startedAt.getTime() - t0, Math.max(b.finishedAt.getTime(), b.startedAt.getTime() + 1) - t0],
    bucket: b,
  }));
  const height = Math.min(640, 50 + data.length * 22);
  return (
    <div data-testid="chart-bucket-timeline">
      <BarChart responsive layout="vertical" data={data} style={{ width: "100%", height }} margin={{ left: 8, right: 16 }} barCategoryGap={3}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis
          type="number"
          domain={[0, "dataMax"]}
          tickFormatter={(v: number) => `${(v / 1000).toFixed(1)} s`}
          fontSize={12}
          label={{ value: "since the run started", position: "insideBottomRight", offset: -4, fontSize: 11 }}
        />
        <YAxis type="category" dataKey="label" width={44} fontSize={11} interval={0} />
        <Tooltip content={TimelineTooltip} cursor={{ fill: "var(--gray-a3)" }} />
        <Bar dataKey="span" isAnimationActive={false} minPointSize={3}>
          {data.map((d) => (
            <Cell key={d.bucket.bucket} fill={BUCKET_STATUS_COLORS[d.bucket.status] ?? "var(--gray-8)"} />
          ))}
        </Bar>
      </BarChart>
    </div>
  );
}
