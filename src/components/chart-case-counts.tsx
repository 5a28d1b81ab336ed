"use client";
// One run's records by case (SPEC §4) and the summary rows it wrote, as two stacked bars.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { LEGEND_PROPS } from "./chart-legend";
import type { CaseCounts } from "@/pipeline/api";
import { RECORD_CASES, ROW_SERIES } from "./case-legend";
import { formatCount } from "./run-format";

export function ChartCaseCounts({ counts }: { counts: Partial<CaseCounts> }) {
  const records: Record<string, string | number> = { name: "Records" };
  for (const c of RECORD_CASES) records[c.key] = counts[c.key] ?? 0;
  const rows: Record<string, string | number> = { name: "Summary rows" };
  for (const c of ROW_SERIES) rows[c.key] = counts[c.key] ?? 0;
  const series = [...RECORD_CASES, ...ROW_SERIES].filter((c) => (counts[c.key] ?? 0) > 0);
  return (
    <div data-testid="chart-case-counts">
      <BarChart responsive layout="vertical" data={[records, rows]} style={{ width: "100%", height: 190 }} margin={{ left: 8, right: 16 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => formatCount(v)} fontSize={12} />
        <YAxis type="category" dataKey="name" width={100} fontSize={12} />
        <Tooltip formatter={(v) => formatCount(Number(v))} />
        <Legend {...LEGEND_PROPS} />
        {series.map((c) => (
          <Bar key={c.key} dataKey={c.key} name={c.label} stackId="cases" fill={c.color} isAnimationActive={false} maxBarSize={36} />
        ))}
      </BarChart>
    </div>
  );
}
