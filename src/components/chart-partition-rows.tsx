"use client";
// Summary rows per partition (hash bucket of the account key), with the mean as a reference line:
// a bar far above the line is the skew a run would feel as one slow bucket.
import { Bar, BarChart, CartesianGrid, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import type { PartitionStats } from "@/pipeline/stats/stats";
import { formatCount } from "./format-units";

export function ChartPartitionRows({ partitions }: { partitions: PartitionStats }) {
  return (
    <div data-testid="chart-partition-rows" role="img" aria-label={`Rows per partition across ${partitions.partitions} partitions; mean ${formatCount(Math.round(partitions.mean))}, skew ${partitions.skew}`}>
      <BarChart responsive style={{ width: "100%", height: 260 }} data={partitions.rows} margin={{ top: 16, right: 16, bottom: 16, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--gray-a5)" />
        <XAxis
          dataKey="partition"
          tick={{ fontSize: 11, fill: "var(--gray-11)" }}
          label={{ value: "partition", position: "insideBottom", offset: -8, fontSize: 11, fill: "var(--gray-11)" }}
        />
        <YAxis tick={{ fontSize: 11, fill: "var(--gray-11)" }} tickFormatter={(v: number) => formatCount(v)} width={56} allowDecimals={false} />
        <Tooltip
          cursor={{ fill: "var(--gray-a3)" }}
          formatter={(value) => [formatCount(Number(value)), "rows"]}
          labelFormatter={(label) => `partition ${String(label)}`}
        />
        <Bar dataKey="rows" fill="var(--indigo-9)" isAnimationActive={false} />
        <ReferenceLine
          y={partitions.mean}
          stroke="var(--amber-10)"
          strokeDasharray="6 3"
          strokeWidth={2}
          label={{ value: `mean ${formatCount(Math.round(partitions.mean))}`, position: "insideTopRight", fontSize: 11, fill: "var(--amber-11)" }}
        />
      </BarChart>
    </div>
  );
}
