"use client";
// Where one run spent its time: a bar per phase (discover, read, stage, classify, execute, finalize).
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from "recharts";
import { PHASES } from "./case-legend";
import { formatDuration } from "./run-format";

export function ChartPhaseTimings({ timings }: { timings: Record<string, number> }) {
  const known = PHASES.filter((p) => timings[p.key] !== undefined).map((p) => ({ ...p, ms: timings[p.key] ?? 0 }));
  const other = Object.entries(timings)
    .filter(([k]) => k !== "total" && !PHASES.some((p) => p.key === k))
    .map(([k, ms]) => ({ key: k, label: k, color: "var(--gray-8)", ms }));
  const data = [...known, ...other];
  return (
    <div data-testid="chart-phase-timings">
      <BarChart responsive layout="vertical" data={data} style={{ width: "100%", height: Math.max(140, 34 * data.length + 40) }} margin={{ left: 8, right: 16 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => formatDuration(v)} fontSize={12} />
        <YAxis type="category" dataKey="label" width={110} fontSize={12} />
        <Tooltip formatter={(v) => [formatDuration(Number(v)), "time"]} />
        <Bar dataKey="ms" isAnimationActive={false} maxBarSize={22}>
          {data.map((d) => (
            <Cell key={d.key} fill={d.color} />
          ))}
        </Bar>
      </BarChart>
    </div>
  );
}
