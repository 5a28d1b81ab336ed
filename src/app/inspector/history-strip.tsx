"use client";
// One rolling column of one summary row as a strip of cells, newest month first (element 0 is the
// row's own month). Hovering or focusing a cell shows its month, value and the run and case that
// wrote that month's record.
import { Badge, Code, DataList, Flex, HoverCard, Link as RadixLink, Text } from "@radix-ui/themes";
import Link from "next/link";
import type { CellValue, MonthProvenance } from "@/pipeline/inspect/account";
import { formatMonthIndex } from "@/pipeline/sql/months";
import { formatCompact, formatCount } from "@/components/format-units";
import { cellStyle, GAP_STYLE, numericStyle, categoricalStyle, type ColourScale } from "./cell-colours";

export const CASE_LABELS: Record<string, { label: string; colour: "blue" | "green" | "amber" | "red" | "gray" }> = {
  new: { label: "new account", colour: "blue" },
  forward: { label: "forward", colour: "green" },
  backfill: { label: "backfill", colour: "amber" },
  delete: { label: "delete", colour: "red" },
  ignored_delete: { label: "ignored delete", colour: "gray" },
};

const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function formatCellValue(value: CellValue, numeric: boolean): string {
  if (value === null) return "NULL";
  if (numeric && Number.isFinite(Number(value))) return formatCount(Number(value));
  return String(value);
}

function cellText(value: CellValue, numeric: boolean): string {
  if (value === null) return "";
  if (numeric) {
    const n = Number(value);
    return Number.isFinite(n) ? formatCompact(n) : String(value);
  }
  const s = String(value);
  return s.length > 3 ? `${s.slice(0, 2)}…` : s;
}

export function CaseBadge({ kase }: { kase: string }) {
  const c = CASE_LABELS[kase] ?? { label: kase, colour: "gray" as const };
  return (
    <Badge color={c.colour} variant="soft" data-testid="case">
      {c.label}
    </Badge>
  );
}

function CellCard(props: { month: string; position: number; value: CellValue; numeric: boolean; provenance: MonthProvenance | undefined }) {
  const p = props.provenance;
  return (
    <Flex direction="column" gap="2" data-testid="cell-card">
      <Flex justify="between" align="center" gap="4">
        <Text weight="bold">{props.month}</Text>
        <Text size="1" color="gray">
          position {props.position}
        </Text>
      </Flex>
      <DataList.Root size="1">
        <DataList.Item>
          <DataList.Label minWidth="72px">Value</DataList.Label>
          <DataList.Value>
            <Code variant="ghost" color={props.value === null ? "gray" : undefined}>
              {formatCellValue(props.value, props.numeric)}
            </Code>
          </DataList.Value>
        </DataList.Item>
        {p ? (
          <>
            <DataList.Item>
              <DataList.Label minWidth="72px">Written by</DataList.Label>
              <DataList.Value>
                <Flex gap="2" align="center">
                  {p.runId ? (
                    <RadixLink asChild size="2">
                      <Link href={`/runs/${p.runId}`} prefetch={false} data-testid="cell-run">
                        run {p.runId}
                      </Link>
                    </RadixLink>
                  ) : (
                    <Text color="gray">an unknown run</Text>
                  )}
                  <CaseBadge kase={p.kase} />
                </Flex>
              </DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label minWidth="72px">base_ts</DataList.Label>
              <DataList.Value>
                <Code variant="ghost">{p.baseTs}</Code>
              </DataList.Value>
            </DataList.Item>
            {p.tombstone && (
              <DataList.Item>
                <DataList.Label minWidth="72px">Record</DataList.Label>
                <DataList.Value>tombstone (soft delete)</DataList.Value>
              </DataList.Item>
            )}
          </>
        ) : (
          <DataList.Item>
            <DataList.Label minWidth="72px">Record</DataList.Label>
            <DataList.Value>
              <Text color="gray">none — the account reported nothing this month</Text>
            </DataList.Value>
          </DataList.Item>
        )}
      </DataList.Root>
    </Flex>
  );
}

export interface HistoryStripProps {
  column: { name: string; column: string; historyLength: number; dataType: string };
  values: CellValue[];
  /** Month index of the row the array belongs to (position i is month rowMi − i). */
  rowMi: number;
  scale: ColourScale;
  provenance: ReadonlyMap<number, MonthProvenance>;
}

export function HistoryStrip({ column, values, rowMi, scale, provenance }: HistoryStripProps) {
  const numeric = scale.kind === "numeric";
  const cells = Array.from({ length: Math.max(column.historyLength, values.length) }, (_, i) => values[i] ?? null);
  return (
    <Flex direction="column" gap="1" data-testid={`strip-${column.name}`}>
      <div
        role="list"
        aria-label={`${column.column}, newest month first`}
        style={{ display: "grid", gridTemplateColumns: `repeat(${cells.length}, minmax(16px, 30px))`, gap: 2 }}
      >
        {cells.map((value, i) => {
          const mi = rowMi - i;
          const month = formatMonthIndex(mi);
          const p = provenance.get(mi);
          const style = cellStyle(scale, value);
          const label = `${month}: ${formatCellValue(value, numeric)}${p ? `, ${CASE_LABELS[p.kase]?.label ?? p.kase}${p.runId ? ` by run ${p.runId}` : ""}` : ""}`;
          return (
            <HoverCard.Root key={i} openDelay={100} closeDelay={150}>
              <HoverCard.Trigger>
                <div
                  role="listitem"
                  tabIndex={0}
                  aria-label={label}
                  data-testid="cell"
                  data-position={i}
                  data-month={month}
                  data-null={value === null ? "true" : "false"}
                  className="sp-history-cell"
                  style={{
                    ...style,
                    height: 30,
                    borderRadius: 3,
                    display: "flex",
                    alignItems: "center",
                    justifyContent: "center",
                    fontSize: 10,
                    fontVariantNumeric: "tabular-nums",
                    cursor: "default",
                    boxShadow: value === null ? "inset 0 0 0 1px var(--gray-7)" : undefined,
                    overflow: "hidden",
                    whiteSpace: "nowrap",
                  }}
                >
                  {cellText(value, numeric)}
                </div>
              </HoverCard.Trigger>
              <HoverCard.Content size="1" maxWidth="320px" side="top">
                <CellCard month={month} position={i} value={value} numeric={numeric} provenance={p} />
              </HoverCard.Content>
            </HoverCard.Root>
          );
        })}
      </div>
      <div aria-hidden style={{ display: "grid", gridTemplateColumns: `repeat(${cells.length}, minmax(16px, 30px))`, gap: 2 }}>
        {cells.map((_, i) => {
          const mi = rowMi - i;
          const m = mi % 12;
          const showYear = i === 0 || m === 11;
          return (
            <Flex key={i} direction="column" align="center" style={{ lineHeight: 1.1 }}>
              <Text size="1" color="gray" style={{ fontSize: 9 }}>
                {MONTH_NAMES[m]}
              </Text>
              <Text size="1" weight="medium" style={{ fontSize: 9, visibility: showYear ? "visible" : "hidden" }}>
                {Math.floor(mi / 12)}
              </Text>
            </Flex>
          );
        })}
      </div>
    </Flex>
  );
}

/** What the colours of a strip mean. */
export function StripLegend({ scale, numeric }: { scale: ColourScale; numeric: boolean }) {
  const swatch = (style: { background: string; color: string }, text: string, key: string) => (
    <Flex key={key} align="center" gap="1">
      <span aria-hidden style={{ ...style, width: 14, height: 14, borderRadius: 3, display: "inline-block", boxShadow: style === GAP_STYLE ? "inset 0 0 0 1px var(--gray-7)" : undefined }} />
      <Text size="1" color="gray">
        {text}
      </Text>
    </Flex>
  );
  return (
    <Flex gap="3" align="center" wrap="wrap" data-testid="strip-legend">
      {scale.kind === "numeric" ? (
        <Flex align="center" gap="2">
          <Text size="1" color="gray">
            {formatCellValue(scale.min, numeric)}
          </Text>
          <span
            aria-hidden
            style={{ width: 120, height: 10, borderRadius: 3, background: `linear-gradient(to right, ${numericStyle(0).background}, ${numericStyle(1).background})` }}
          />
          <Text size="1" color="gray">
            {formatCellValue(scale.max, numeric)}
          </Text>
        </Flex>
      ) : (
        scale.values.slice(0, 12).map((v, i) => swatch(categoricalStyle(i), v, v))
      )}
      {swatch(GAP_STYLE, "NULL (no value)", "null")}
    </Flex>
  );
}
