// Invariant checks of the summary tables (SPEC §3, issue #6): arrays of the configured length,
// history[i] of month m equal to history[0] of month m−i wherever both rows exist (checked as each
// row against the previous row of its account, shifted), grids equal to their arrays, latest equal
// to the newest live summary row, and no duplicate (account, month). Run after every run on the
// accounts it touched, and on demand over everything.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "./config/schema";
import { historyLengthOf } from "./config/schema";
import { queryOne, quoteIdent } from "./engine/duckdb";
import { gridSql } from "./execute/tables";
import { monthIndexSql, monthKindOfType } from "./sql/months";
import { tableColumns, tableExists } from "./state/store";

export interface InvariantViolation {
  check: string;
  rows: number;
}

/**
 * Returns the violations found (empty when the tables are sound). `accounts` restricts the checks
 * to the accounts listed in that relation's `acct` column.
 */
export async function checkInvariants(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  opts: { summary?: string; latest?: string; accounts?: string } = {},
): Promise<InvariantViolation[]> {
  const summaryName = opts.summary ?? cfg.tables.summary;
  const latestName = opts.latest ?? cfg.tables.latest_summary;
  if (!(await tableExists(conn, "main", summaryName))) return [];
  const cols = await tableColumns(conn, "main", summaryName);
  const monthCol = cols.find((c) => c.name === cfg.keys.month);
  const kind = cfg.keys.month_type ?? (monthCol ? monthKindOfType(monthCol.type) : null);
  if (!kind) return [];
  const S = quoteIdent(summaryName);
  const Lt = quoteIdent(latestName);
  const a = quoteIdent(cfg.keys.account);
  const mi = (alias: string) => monthIndexSql(kind, `${alias}.${quoteIdent(cfg.keys.month)}`);
  // the scope relation has (acct, lo): rows from L months before the account's first change
  const L = Math.max(...cfg.rolling_columns.map((c) => historyLengthOf(cfg, c)));
  const scopeAccounts = (alias: string) => (opts.accounts ? `${alias}.${a} IN (SELECT acct FROM ${opts.accounts})` : "TRUE");
  const scope = (alias: string) =>
    opts.accounts
      ? `${scopeAccounts(alias)} AND ${monthIndexSql(kind, `${alias}.${quoteIdent(cfg.keys.month)}`)} >= (SELECT min(lo) FROM ${opts.accounts} x WHERE x.acct = ${alias}.${a}) - ${L}`
      : "TRUE";
  const violations: InvariantViolation[] = [];
  const count = async (check: string, sql: string) => {
    const r = await queryOne(conn, sql);
    const n = Number(r?.n ?? 0);
    if (n > 0) violations.push({ check, rows: n });
  };
  const rolling = cfg.rolling_columns.map((c) => ({ col: quoteIdent(`${c.name}_history`), L: historyLengthOf(cfg, c), name: c.name }));
  await count(
    "array length differs from history_length",
    `SELECT count(*) AS n FROM ${S} s WHERE ${scope("s")} AND (${rolling.map((r) => `len(s.${r.col}) IS DISTINCT FROM ${r.L}`).join(" OR ")})`,
  );
  await count(
    "duplicate (account, month) in summary",
    `SELECT coalesce(sum(c - 1), 0) AS n FROM (SELECT count(*) AS c FROM ${S} s WHERE ${scope("s")} GROUP BY s.${a}, s.${quoteIdent(cfg.keys.month)} HAVING count(*) > 1)`,
  );
  // each row against the previous row of its account, k months earlier: history[k+i] = previous history[i]
  const shifted = rolling
    .map((r) => `(k < ${r.L} AND cur_${r.name}[k + 1:] IS DISTINCT FROM prev_${r.name}[1:${r.L} - k])`)
    .join(" OR ");
  await count(
    "history[i] of month m differs from history[0] of month m-i",
    `SELECT count(*) AS n FROM (
       SELECT ${mi("s")} - lag(${mi("s")}) OVER w AS k,
              ${rolling.map((r) => `s.${r.col} AS cur_${r.name}, lag(s.${r.col}) OVER w AS prev_${r.name}`).join(", ")}
       FROM ${S} s WHERE ${scope("s")}
       WINDOW w AS (PARTITION BY s.${a} ORDER BY ${mi("s")}))
     WHERE k IS NOT NULL AND (${shifted})`,
  );
  for (const g of cfg.grid_columns) {
    const r = rolling.find((x) => x.name === g.rolling_column);
    if (!r) continue;
    await count(
      `grid ${g.name} differs from its array`,
      `SELECT count(*) AS n FROM ${S} s WHERE ${scope("s")} AND s.${quoteIdent(g.name)} IS DISTINCT FROM ${gridSql(`s.${r.col}`, g.placeholder)}`,
    );
  }
  if (await tableExists(conn, "main", latestName)) {
    const flag = cfg.keys.delete_flag;
    const live = flag
      ? `NOT coalesce(CAST(s.${quoteIdent(flag)} AS VARCHAR) IN (${cfg.keys.delete_values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ")}), FALSE)`
      : "TRUE";
    const same = cols.map((c) => `l.${quoteIdent(c.name)} IS NOT DISTINCT FROM s.${quoteIdent(c.name)}`).join(" AND ");
    // every latest row is a live summary row, identical, with no newer live row of its account
    await count(
      "latest_summary differs from the newest live summary row",
      `SELECT count(*) AS n FROM ${Lt} l
       WHERE ${scopeAccounts("l")} AND (
         NOT EXISTS (SELECT 1 FROM ${S} s WHERE s.${a} = l.${a} AND s.${quoteIdent(cfg.keys.month)} = l.${quoteIdent(cfg.keys.month)} AND ${live} AND ${same})
         OR EXISTS (SELECT 1 FROM ${S} s WHERE s.${a} = l.${a} AND ${mi("s")} > ${mi("l")} AND ${live}))`,
    );
    // every account with a live row has a latest row
    await count(
      "an account with live rows has no latest_summary row",
      `SELECT count(DISTINCT s.${a}) AS n FROM ${S} s WHERE ${scope("s")} AND ${live}
       AND s.${a} NOT IN (SELECT l.${a} FROM ${Lt} l WHERE ${scopeAccounts("l")})`,
    );
  }
  return violations;
}
