"use client";
// Share of NULLs at each array position of every rolling column (position 0 = the row's own
// month): how much history the summary rows really carry, and where gaps pile up.
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import type { NullDensity } from "@/pipeline/stats/stats";
import { formatPercent } from "./format-units";

const SERIES_COLOURS = ["var(--indigo-9)", "var(--orange-9)", "var(--grass-9)", "var(--crimson-9)", "var(--cyan-9)", "var(--purple-9)"];

export function ChartNullDensity({ series }: { series: NullDensity[] }) {
  const positions = Math.max(0, ...series.map((s) => s.historyLength));
  const data = Array.from({ length: positions }, (_, i) => {
    const point: Record<string, number> = { position: i };
    for (const s of series) {
      const share = s.density[i];
      if (share !== undefined) point[s.column] = share;
    }
    return point;
  });
  return (
    <div data-testid="chart-null-density" role="img" aria-label={`NULL share per array position for ${series.map((s) => s.column).join(", ")}`}>
      <LineChart responsive style={{ width: "100%", height: 280 }} data={data} margin={{ top: 16, right: 16, bottom: 16, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--gray-a5)" />
        <XAxis
          dataKey="position"
          type="number"
          domain={[0, Math.max(positions - 1, 0)]}
          tickCount={Math.min(positions, 13)}
          allowDecimals={false}
          tick={{ fontSize: 11, fill: "var(--gray-11)" }}
          label={{ value: "array position (0 = this month)", position: "insideBottom", offset: -8, fontSize: 11, fill: "var(--gray-11)" }}
        />
        <YAxis domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} tick={{ fontSize: 11, fill: "var(--gray-11)" }} width={48} />
        <Tooltip formatter={(value, name) => [formatPercent(Number(value)), String(name)]} labelFormatter={(label) => `position ${String(label)}`} />
        <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
        {series.map((s, i) => (
          <Line
            key={s.column}
            dataKey={s.column}
            type="linear"
            stroke={SERIES_COLOURS[i % SERIES_COLOURS.length]}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
        ))}
      </LineChart>
    </div>
  );
}
