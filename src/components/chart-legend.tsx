// Legend settings shared by the charts: series in the order given (not sorted by name), labels in
// the text colour (a light series colour would make its label unreadable).
import type { ReactNode } from "react";

function legendLabel(value: unknown): ReactNode {
  return <span style={{ color: "var(--gray-11)" }}>{String(value)}</span>;
}

export const LEGEND_PROPS = {
  itemSorter: null,
  wrapperStyle: { fontSize: 12 },
  formatter: legendLabel,
} as const;
