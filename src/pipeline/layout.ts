// The resolved shape of a run: key kinds, the checked expressions and the summary's columns.
// Built once per run from the config, the source and the existing summary; recorded with the run
// so that a resume computes exactly the same columns.
import type { PipelineConfig } from "./config/schema";
import { historyLengthOf, maxHistoryLength, sqlType } from "./config/schema";
import type { AccountKind, MonthKind } from "./sql/months";
import { monthSqlType } from "./sql/months";

export interface RollingLayout {
  name: string;
  /** Summary column: `<name>_history`. */
  column: string;
  historyLength: number;
  sqlType: string;
  /** Canonical checked SQL expression over source columns. */
  expr: string;
  dataType: string;
}

export interface ScalarLayout {
  name: string;
  expr: string;
}

export interface GridLayout {
  name: string;
  rollingIndex: number;
  placeholder: string;
}

export interface Layout {
  accountColumn: string;
  accountKind: AccountKind;
  monthColumn: string;
  monthKind: MonthKind;
  monthType: string;
  /** Source timestamp column, or null when base_ts is the ingestion time. */
  timestampColumn: string | null;
  maxHistoryLength: number;
  rolling: RollingLayout[];
  scalars: ScalarLayout[];
  deleteFlag: { column: string; values: string[]; isScalar: boolean } | null;
  grids: GridLayout[];
}

export function buildLayout(
  cfg: PipelineConfig,
  kinds: { accountKind: AccountKind; monthKind: MonthKind },
  exprs: { rolling: Map<string, { canonical: string }>; scalars: Map<string, { canonical: string }> },
): Layout {
  const rolling = cfg.rolling_columns.map((c) => {
    const e = exprs.rolling.get(c.name);
    if (!e) throw new Error(`no checked expression for rolling column ${c.name}`);
    return {
      name: c.name,
      column: `${c.name}_history`,
      historyLength: historyLengthOf(cfg, c),
      sqlType: sqlType(c.data_type),
      expr: e.canonical,
      dataType: c.data_type,
    };
  });
  const scalars = cfg.columns.map((c) => {
    const e = exprs.scalars.get(c.name);
    if (!e) throw new Error(`no checked expression for column ${c.name}`);
    return { name: c.name, expr: e.canonical };
  });
  const flag = cfg.keys.delete_flag;
  return {
    accountColumn: cfg.keys.account,
    accountKind: kinds.accountKind,
    monthColumn: cfg.keys.month,
    monthKind: kinds.monthKind,
    monthType: monthSqlType(kinds.monthKind),
    timestampColumn: cfg.keys.timestamp,
    maxHistoryLength: maxHistoryLength(cfg),
    rolling,
    scalars,
    deleteFlag: flag
      ? {
          column: flag,
          values: cfg.keys.delete_values,
          isScalar: scalars.some((s) => s.name.toLowerCase() === flag.toLowerCase()),
        }
      : null,
    grids: cfg.grid_columns.map((g) => ({
      name: g.name,
      rollingIndex: cfg.rolling_columns.findIndex((r) => r.name === g.rolling_column),
      placeholder: g.placeholder,
    })),
  };
}
