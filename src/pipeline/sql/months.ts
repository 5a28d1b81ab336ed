// Month columns come as DATE (any day of the month), INTEGER YYYYMM or VARCHAR 'YYYY-MM'. The engine
// works on a month index (year * 12 + month - 1) and writes months back in the source's own kind.

export type MonthKind = "date" | "yyyymm" | "yyyy-mm";
export type AccountKind = "BIGINT" | "VARCHAR";

/** SQL yielding the month index of an already-typed month column expression (NULL if invalid). */
export function monthIndexSql(kind: MonthKind, col: string): string {
  switch (kind) {
    case "date":
      return `(year(${col}) * 12 + month(${col}) - 1)`;
    case "yyyymm":
      return `(CASE WHEN (${col}) % 100 BETWEEN 1 AND 12 AND (${col}) // 100 BETWEEN 1000 AND 9999 THEN CAST(((${col}) // 100) * 12 + (${col}) % 100 - 1 AS INTEGER) END)`;
    case "yyyy-mm":
      return `(CASE WHEN regexp_full_match(${col}, '\\d{4}-(0[1-9]|1[0-2])') THEN CAST(substr(${col}, 1, 4) AS INTEGER) * 12 + CAST(substr(${col}, 6, 2) AS INTEGER) - 1 END)`;
  }
}

/** SQL parsing a raw source value (any type) into a month index, NULL when it cannot be parsed. */
export function parseMonthSql(kind: MonthKind, col: string): string {
  switch (kind) {
    case "date":
      return monthIndexSql("date", `TRY_CAST(${col} AS DATE)`);
    case "yyyymm":
      return monthIndexSql("yyyymm", `TRY_CAST(${col} AS BIGINT)`);
    case "yyyy-mm":
      return monthIndexSql("yyyy-mm", `TRY_CAST(${col} AS VARCHAR)`);
  }
}

/** SQL writing a month index back as the summary's month value. */
export function monthValueSql(kind: MonthKind, mi: string, sqlType: string): string {
  switch (kind) {
    case "date":
      return `make_date(CAST((${mi}) // 12 AS BIGINT), CAST((${mi}) % 12 + 1 AS BIGINT), 1)`;
    case "yyyymm":
      return `CAST(((${mi}) // 12) * 100 + (${mi}) % 12 + 1 AS ${sqlType})`;
    case "yyyy-mm":
      return `printf('%04d-%02d', (${mi}) // 12, (${mi}) % 12 + 1)`;
  }
}

/** The month kind a column of the given engine type holds. */
export function monthKindOfType(sqlType: string): MonthKind | null {
  const t = sqlType.toUpperCase();
  if (t === "DATE" || t.startsWith("TIMESTAMP")) return "date";
  if (["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"].includes(t)) return "yyyymm";
  if (t === "VARCHAR") return "yyyy-mm";
  return null;
}

export function accountKindOfType(sqlType: string): AccountKind | null {
  const t = sqlType.toUpperCase();
  if (["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"].includes(t)) return "BIGINT";
  if (t === "VARCHAR") return "VARCHAR";
  return null;
}

/** The engine type of the summary's month column for a kind. */
export function monthSqlType(kind: MonthKind): string {
  return kind === "date" ? "DATE" : kind === "yyyymm" ? "INTEGER" : "VARCHAR";
}

export function monthIndexOf(year: number, month: number): number {
  return year * 12 + month - 1;
}

export function formatMonthIndex(mi: number): string {
  const y = Math.floor(mi / 12);
  const m = (mi % 12) + 1;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}`;
}
