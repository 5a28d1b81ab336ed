"use client";
// The months a planned batch touches, with its records per case in each month.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { LEGEND_PROPS } from "./chart-legend";
import type { Plan } from "@/pipeline/plan/classify";
import { formatCount } from "./run-format";

const SERIES = [
  { key: "newAccount", label: "New account (I)", color: "var(--indigo-9)" },
  { key: "forward", label: "Forward (II)", color: "var(--teal-9)" },
  { key: "backfill", label: "Backfill (III)", color: "var(--amber-9)" },
  { key: "delete", label: "Delete", color: "var(--red-9)" },
  { key: "stale", label: "Stale", color: "var(--gray-8)" },
] as const;

export function ChartPlanMonths({ months }: { months: Plan["months"] }) {
  const series = SERIES.filter((s) => months.some((m) => m[s.key] > 0));
  return (
    <div data-testid="chart-plan-months">
      <BarChart responsive data={months} style={{ width: "100%", height: 220 }} margin={{ left: 8, right: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="month" fontSize={11} />
        <YAxis tickFormatter={(v: number) => formatCount(v)} fontSize={12} width={56} />
        <Tooltip formatter={(v) => formatCount(Number(v))} />
        <Legend {...LEGEND_PROPS} />
        {series.map((s) => (
          <Bar key={s.key} dataKey={s.key} name={s.label} stackId="cases" fill={s.color} isAnimationActive={false} maxBarSize={40} />
        ))}
      </BarChart>
    </div>
  );
}
