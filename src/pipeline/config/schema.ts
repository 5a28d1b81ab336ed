// The pipeline configuration (SPEC §5): one zod schema, defaults included; the config type is the
// schema's. Structural checks live here; expression safety is checked against the engine (expr.ts).
import { z } from "zod";

const identifier = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .refine((s) => !s.includes("\u0000"), "must not contain NUL");

export const DATA_TYPES = ["Integer", "BigInt", "Double", "String", "Date", "Boolean"] as const;
const decimalType = /^Decimal\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$/;

export const dataTypeSchema = z.string().refine(
  (t) => (DATA_TYPES as readonly string[]).includes(t) || isValidDecimal(t),
  { message: `must be one of ${DATA_TYPES.join(", ")} or Decimal(p,s) with 1 ≤ p ≤ 38, 0 ≤ s ≤ p` },
);

function isValidDecimal(t: string): boolean {
  const m = decimalType.exec(t);
  if (!m) return false;
  const p = Number(m[1]);
  const s = Number(m[2]);
  return p >= 1 && p <= 38 && s >= 0 && s <= p;
}

/** The scale of a `Decimal(p,s)` data type; undefined for any other type. */
export function decimalScale(dataType: string): number | undefined {
  const m = decimalType.exec(dataType);
  return m ? Number(m[2]) : undefined;
}

/** The engine's SQL type for a config data type. */
export function sqlType(dataType: string): string {
  switch (dataType) {
    case "Integer":
      return "INTEGER";
    case "BigInt":
      return "BIGINT";
    case "Double":
      return "DOUBLE";
    case "String":
      return "VARCHAR";
    case "Date":
      return "DATE";
    case "Boolean":
      return "BOOLEAN";
    default: {
      const m = decimalType.exec(dataType);
      if (!m) throw new Error(`unknown data type ${dataType}`);
      return `DECIMAL(${Number(m[1])}, ${Number(m[2])})`;
    }
  }
}

const historyLength = z.number().int().min(1).max(240);

const scalarColumn = z
  .object({
    name: identifier,
    source_column: identifier.optional(),
    expr: z.string().min(1).max(4000).optional(),
  })
  .strict()
  .refine((c) => (c.source_column === undefined) !== (c.expr === undefined), {
    message: "give exactly one of source_column or expr",
  });

const rollingColumn = z
  .object({
    name: identifier,
    source_column: identifier,
    mapper_expr: z.string().min(1).max(4000).optional(),
    data_type: dataTypeSchema,
    history_length: historyLength.optional(),
  })
  .strict();

const gridColumn = z
  .object({
    name: identifier,
    rolling_column: identifier,
    placeholder: z.string().length(1, "must be exactly one character").default("?"),
  })
  .strict();

const tableSource = z
  .object({
    kind: z.literal("table"),
    name: identifier.default("accounts_all"),
  })
  .strict();

const fileSource = z
  .object({
    kind: z.literal("files"),
    format: z.enum(["csv", "parquet"]),
    /** A glob such as `data/incoming/*.csv`, relative to the working directory. */
    glob: z.string().min(1).max(1000),
  })
  .strict();

export const configSchema = z
  .object({
    version: z.literal(1).default(1),
    engine: z
      .object({
        database: z.string().min(1).default("data/summary.duckdb"),
        threads: z.number().int().min(1).max(256).nullable().default(null),
        memory_limit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "must look like 4GB or 512MiB")
          .nullable()
          .default(null),
      })
      .strict()
      .default({ database: "data/summary.duckdb", threads: null, memory_limit: null }),
    source: z.discriminatedUnion("kind", [tableSource, fileSource]).default({ kind: "table", name: "accounts_all" }),
    tables: z
      .object({
        summary: identifier.default("summary"),
        latest_summary: identifier.default("latest_summary"),
        quarantine: identifier.default("quarantine"),
      })
      .strict()
      .default({ summary: "summary", latest_summary: "latest_summary", quarantine: "quarantine" }),
    keys: z
      .object({
        account: identifier.default("cons_acct_key"),
        month: identifier.default("rpt_as_of_mo"),
        timestamp: identifier.nullable().default("base_ts"),
        delete_flag: identifier.nullable().default(null),
        delete_values: z.array(z.string().max(200)).max(100).default([]),
        /** Key type; when null, taken from the existing summary or the source. */
        account_type: z.enum(["BIGINT", "VARCHAR"]).nullable().default(null),
        /** Month kind; when null, taken from the existing summary or the source. */
        month_type: z.enum(["date", "yyyymm", "yyyy-mm"]).nullable().default(null),
      })
      .strict()
      .default({
        account: "cons_acct_key",
        month: "rpt_as_of_mo",
        timestamp: "base_ts",
        delete_flag: null,
        delete_values: [],
        account_type: null,
        month_type: null,
      }),
    history_length: historyLength.default(36),
    columns: z.array(scalarColumn).max(200).default([]),
    rolling_columns: z.array(rollingColumn).min(1, "at least one rolling column is needed").max(100),
    grid_columns: z.array(gridColumn).max(100).default([]),
    validation: z
      .object({
        /** Months after the current calendar month a record may report before it is quarantined. */
        max_future_months: z.number().int().min(0).max(1200).default(1),
      })
      .strict()
      .default({ max_future_months: 1 }),
    partitioning: z
      .object({
        target_rows_per_partition: z.number().int().min(1).default(2_000_000),
        max_partitions: z
          .number()
          .int()
          .min(1)
          .max(65536)
          .refine((n) => (n & (n - 1)) === 0, "must be a power of two")
          .default(1024),
      })
      .strict()
      .default({ target_rows_per_partition: 2_000_000, max_partitions: 1024 }),
    resilience: z
      .object({
        retry_count: z.number().int().min(0).max(20).default(3),
        backoff_base_ms: z.number().int().min(0).max(600_000).default(500),
        backoff_max_ms: z.number().int().min(0).max(3_600_000).default(30_000),
        checkpoint_enabled: z.boolean().default(true),
      })
      .strict()
      .default({ retry_count: 3, backoff_base_ms: 500, backoff_max_ms: 30_000, checkpoint_enabled: true }),
    optimization: z
      .object({
        auto_every_n_runs: z.number().int().min(0).default(10),
        undo_retention_runs: z.number().int().min(0).default(5),
      })
      .strict()
      .default({ auto_every_n_runs: 10, undo_retention_runs: 5 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, string>();
    const claim = (name: string, where: (string | number)[]) => {
      const lower = name.toLowerCase();
      const prev = seen.get(lower);
      if (prev) {
        ctx.addIssue({ code: "custom", path: where, message: `column name "${name}" is already used by ${prev}` });
      } else {
        seen.set(lower, where.map((p) => (typeof p === "number" ? `[${p}]` : p)).join(".").replace(".[", "["));
      }
    };
    claim(cfg.keys.account, ["keys", "account"]);
    claim(cfg.keys.month, ["keys", "month"]);
    claim("base_ts", ["keys", "timestamp"]);
    if (cfg.keys.delete_flag) claim(cfg.keys.delete_flag, ["keys", "delete_flag"]);
    cfg.columns.forEach((c, i) => {
      // the delete flag may also be listed as a scalar column copied from itself
      if (cfg.keys.delete_flag && c.name.toLowerCase() === cfg.keys.delete_flag.toLowerCase() &&
          c.source_column?.toLowerCase() === cfg.keys.delete_flag.toLowerCase()) return;
      claim(c.name, ["columns", i, "name"]);
    });
    cfg.rolling_columns.forEach((c, i) => claim(`${c.name}_history`, ["rolling_columns", i, "name"]));
    cfg.grid_columns.forEach((g, i) => {
      claim(g.name, ["grid_columns", i, "name"]);
      if (!cfg.rolling_columns.some((r) => r.name === g.rolling_column)) {
        ctx.addIssue({
          code: "custom",
          path: ["grid_columns", i, "rolling_column"],
          message: `no rolling column named "${g.rolling_column}"`,
        });
      }
    });
    if (cfg.keys.delete_flag && cfg.keys.delete_values.length === 0) {
      ctx.addIssue({ code: "custom", path: ["keys", "delete_values"], message: "give at least one value when delete_flag is set" });
    }
    if (cfg.source.kind === "table" && !cfg.keys.timestamp) {
      ctx.addIssue({
        code: "custom",
        path: ["keys", "timestamp"],
        message: "a table source needs a timestamp column: the incremental watermark is kept on it",
      });
    }
    // every output table its own, and none the source: an initial run replaces its tables
    const tables = new Map<string, string>();
    if (cfg.source.kind === "table") tables.set(cfg.source.name.toLowerCase(), "the source table (source.name)");
    for (const key of ["summary", "latest_summary", "quarantine"] as const) {
      const name = cfg.tables[key];
      const prev = tables.get(name.toLowerCase());
      if (prev) ctx.addIssue({ code: "custom", path: ["tables", key], message: `table name "${name}" is already ${prev}` });
      else tables.set(name.toLowerCase(), `tables.${key}`);
    }
    if (cfg.resilience.backoff_max_ms < cfg.resilience.backoff_base_ms) {
      ctx.addIssue({ code: "custom", path: ["resilience", "backoff_max_ms"], message: "must be ≥ backoff_base_ms" });
    }
  });

export type PipelineConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type RollingColumn = PipelineConfig["rolling_columns"][number];
export type ScalarColumn = PipelineConfig["columns"][number];
export type GridColumn = PipelineConfig["grid_columns"][number];

/** `rolling_columns[2].mapper_expr` from a zod path. */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of p) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || "(root)";
}

export function historyLengthOf(cfg: PipelineConfig, col: RollingColumn): number {
  return col.history_length ?? cfg.history_length;
}

/** The longest history among rolling columns: the window of base_ts (SPEC §3). */
export function maxHistoryLength(cfg: PipelineConfig): number {
  return Math.max(...cfg.rolling_columns.map((c) => historyLengthOf(cfg, c)));
}
