// How a rolling-array cell is coloured: numbers on a sequential scale over the column's min..max,
// other values from a categorical palette (stable: values sorted, then assigned in order), NULL
// as a hatched grey gap. Theme colours (Radix CSS variables), so light and dark themes both work.
import type { CellValue } from "@/pipeline/inspect/account";

export interface CellStyle {
  background: string;
  color: string;
}

export const GAP_STYLE: CellStyle = {
  background: "repeating-linear-gradient(135deg, var(--gray-5) 0 2px, var(--gray-2) 2px 6px)",
  color: "var(--gray-11)",
};

const PALETTE = ["blue", "orange", "grass", "purple", "red", "cyan", "amber", "pink", "teal", "brown", "lime", "indigo"] as const;

const NUMERIC_TYPES = /^(integer|bigint|double|decimal)/i;

export function isNumericType(dataType: string): boolean {
  return NUMERIC_TYPES.test(dataType);
}

export type ColourScale =
  | { kind: "numeric"; min: number; max: number }
  | { kind: "categorical"; values: string[] };

/** The scale of one rolling column, from every value it holds across the account's rows. */
export function scaleOf(dataType: string, arrays: CellValue[][]): ColourScale {
  const values = arrays.flat().filter((v): v is Exclude<CellValue, null> => v !== null);
  if (isNumericType(dataType)) {
    const numbers = values.map(Number).filter(Number.isFinite);
    return numbers.length === 0 ? { kind: "numeric", min: 0, max: 0 } : { kind: "numeric", min: Math.min(...numbers), max: Math.max(...numbers) };
  }
  return { kind: "categorical", values: [...new Set(values.map(String))].sort() };
}

/** 0..1 along a numeric scale (0.5 when the scale is one value). */
export function positionOn(scale: { min: number; max: number }, value: number): number {
  return scale.max === scale.min ? 0.5 : (value - scale.min) / (scale.max - scale.min);
}

export function numericStyle(t: number): CellStyle {
  const pct = Math.round(8 + Math.min(1, Math.max(0, t)) * 92);
  return {
    background: `color-mix(in oklab, var(--indigo-11) ${pct}%, var(--indigo-2))`,
    color: pct > 50 ? "white" : "var(--indigo-12)",
  };
}

export function categoricalStyle(index: number): CellStyle {
  const name = PALETTE[index % PALETTE.length] ?? "gray";
  return { background: `var(--${name}-9)`, color: `var(--${name}-contrast)` };
}

export function cellStyle(scale: ColourScale, value: CellValue): CellStyle {
  if (value === null) return GAP_STYLE;
  if (scale.kind === "numeric") {
    const n = Number(value);
    return Number.isFinite(n) ? numericStyle(positionOn(scale, n)) : GAP_STYLE;
  }
  return categoricalStyle(Math.max(0, scale.values.indexOf(String(value))));
}
