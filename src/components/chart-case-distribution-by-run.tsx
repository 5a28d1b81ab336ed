"use client";
// Records per case for each recent run: a stacked bar per run, oldest on the left.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { LEGEND_PROPS } from "./chart-legend";
import type { CaseCounts } from "@/pipeline/api";
import { RECORD_CASES } from "./case-legend";
import { formatCount } from "./run-format";

export interface RunCases {
  id: string;
  counts: Partial<CaseCounts> | null;
}

export function ChartCaseDistributionByRun({ runs }: { runs: RunCases[] }) {
  const data = runs
    .filter((r) => r.counts)
    .map((r) => {
      const d: Record<string, string | number> = { run: r.id };
      for (const c of RECORD_CASES) d[c.key] = r.counts?.[c.key] ?? 0;
      return d;
    })
    .reverse();
  const series = RECORD_CASES.filter((c) => data.some((d) => Number(d[c.key]) > 0));
  return (
    <div data-testid="chart-case-distribution-by-run">
      <BarChart responsive data={data} style={{ width: "100%", height: 260 }} margin={{ left: 8, right: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="run" fontSize={11} />
        <YAxis tickFormatter={(v: number) => formatCount(v)} fontSize={12} width={56} />
        <Tooltip formatter={(v) => formatCount(Number(v))} />
        <Legend {...LEGEND_PROPS} />
        {series.map((c) => (
          <Bar key={c.key} dataKey={c.key} name={c.label} stackId="cases" fill={c.color} isAnimationActive={false} maxBarSize={40} />
        ))}
      </BarChart>
    </div>
  );
}
