"use client";
// Phase timings of recent runs: a stacked bar per run, one segment per phase, oldest on the left.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { LEGEND_PROPS } from "./chart-legend";
import { PHASES } from "./case-legend";
import { formatDuration } from "./run-format";

export interface RunTimings {
  id: string;
  timings: Record<string, number> | null;
}

export function ChartPhaseTimingsByRun({ runs }: { runs: RunTimings[] }) {
  const data = runs
    .filter((r) => r.timings)
    .map((r) => {
      const d: Record<string, string | number> = { run: r.id };
      for (const p of PHASES) d[p.key] = r.timings?.[p.key] ?? 0;
      return d;
    })
    .reverse();
  const series = PHASES.filter((p) => data.some((d) => Number(d[p.key]) > 0));
  return (
    <div data-testid="chart-phase-timings-by-run">
      <BarChart responsive data={data} style={{ width: "100%", height: 260 }} margin={{ left: 8, right: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="run" fontSize={11} />
        <YAxis tickFormatter={(v: number) => formatDuration(v)} fontSize={12} width={64} />
        <Tooltip formatter={(v) => formatDuration(Number(v))} />
        <Legend {...LEGEND_PROPS} />
        {series.map((p) => (
          <Bar key={p.key} dataKey={p.key} name={p.label} stackId="phases" fill={p.color} isAnimationActive={false} maxBarSize={40} />
        ))}
      </BarChart>
    </div>
  );
}
