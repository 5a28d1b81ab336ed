// Invariant checks of the summary tables (SPEC §3, issue #6): arrays of the configured length,
// history[i] of month m equal to history[0] of month m−i wherever both rows exist (checked as each
// row against the previous row of its account, shifted), grids equal to their arrays, latest equal
// to the newest live summary row, and no duplicate (account, month). Run after every run on the
// accounts it touched, and on demand over everything.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "./config/schema";
import { historyLengthOf } from "./config/schema";
import { execute, queryOne, quoteIdent } from "./engine/duckdb";
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
  // the scope relation has (acct, lo): the account and its first changed month
  const scopeAccounts = (alias: string) => (opts.accounts ? `${alias}.${a} IN (SELECT acct FROM ${opts.accounts})` : "TRUE");

  const violations: InvariantViolation[] = [];
  // after a run: only the rows it may have written, and the row before them (one join, materialised)
  let rowsRel = S;
  if (opts.accounts) {
    await execute(
      conn,
      `CREATE OR REPLACE TEMP TABLE __sp_check_rows AS
       SELECT s.* FROM ${S} s JOIN ${opts.accounts} x ON x.acct = s.${a} WHERE ${mi("s")} >= x.lo - 1`,
    );
    rowsRel = "__sp_check_rows";
  }
  const count = async (check: string, sql: string) => {
    const r = await queryOne(conn, sql);
    const n = Number(r?.n ?? 0);
    if (n > 0) violations.push({ check, rows: n });
  };
  const rolling = cfg.rolling_columns.map((c) => ({ col: quoteIdent(`${c.name}_history`), L: historyLengthOf(cfg, c), name: c.name }));
  await count(
    "array length differs from history_length",
    `SELECT count(*) AS n FROM ${rowsRel} s WHERE TRUE AND (${rolling.map((r) => `len(s.${r.col}) IS DISTINCT FROM ${r.L}`).join(" OR ")})`,
  );
  await count(
    "duplicate (account, month) in summary",
    `SELECT coalesce(sum(c - 1), 0) AS n FROM (SELECT count(*) AS c FROM ${rowsRel} s WHERE TRUE GROUP BY s.${a}, s.${quoteIdent(cfg.keys.month)} HAVING count(*) > 1)`,
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
       FROM ${rowsRel} s WHERE TRUE
       WINDOW w AS (PARTITION BY s.${a} ORDER BY ${mi("s")}))
     WHERE k IS NOT NULL AND (${shifted})`,
  );
  for (const g of cfg.grid_columns) {
    const r = rolling.find((x) => x.name === g.rolling_column);
    if (!r) continue;
    await count(
      `grid ${g.name} differs from its array`,
      `SELECT count(*) AS n FROM ${rowsRel} s WHERE TRUE AND s.${quoteIdent(g.name)} IS DISTINCT FROM ${gridSql(`s.${r.col}`, g.placeholder)}`,
    );
  }
  if (await tableExists(conn, "main", latestName)) {
    const flag = cfg.keys.delete_flag;
    const live = flag
      ? `NOT coalesce(CAST(s.${quoteIdent(flag)} AS VARCHAR) IN (${cfg.keys.delete_values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ")}), FALSE)`
      : "TRUE";
    const same = cols.map((c) => `l.${quoteIdent(c.name)} IS NOT DISTINCT FROM s.${quoteIdent(c.name)}`).join(" AND ");
    // every latest row is a live summary row, identical, with no newer live row of its account
    const differs = (latestRows: string, summaryRel: string) =>
      `SELECT count(*) AS n FROM (${latestRows}) l
       LEFT JOIN ${summaryRel} s ON s.${a} = l.${a} AND s.${quoteIdent(cfg.keys.month)} = l.${quoteIdent(cfg.keys.month)}
       WHERE s.${a} IS NULL OR NOT (${live}) OR NOT (${same})`;
    if (opts.accounts) {
      // latest rows among the rows the run wrote are compared with those; older ones with the table
      await count(
        "latest_summary differs from the newest live summary row",
        differs(`SELECT l.* FROM ${Lt} l JOIN ${opts.accounts} x ON x.acct = l.${a} WHERE ${mi("l")} >= x.lo - 1`, rowsRel),
      );
      const older = `SELECT l.* FROM ${Lt} l JOIN ${opts.accounts} x ON x.acct = l.${a} WHERE ${mi("l")} < x.lo - 1`;
      const n = await queryOne(conn, `SELECT count(*) AS n FROM (${older})`);
      // rare (a delete fell back past the rewritten rows): only then is the whole table read
      if (Number(n?.n ?? 0) > 0) {
        await count("latest_summary differs from the newest live summary row (older rows)", differs(older, S));
      }
    } else {
      await count("latest_summary differs from the newest live summary row", differs(`SELECT * FROM ${Lt}`, S));
    }
    await count(
      "latest_summary is not the newest live month",
      `SELECT count(*) AS n FROM ${rowsRel} s JOIN ${Lt} l ON l.${a} = s.${a}
       WHERE ${mi("s")} > ${mi("l")} AND ${live}`,
    );
    // every account with a live row has a latest row
    await count(
      "an account with live rows has no latest_summary row",
      `SELECT count(DISTINCT s.${a}) AS n FROM ${rowsRel} s WHERE ${live}
       AND s.${a} NOT IN (SELECT l.${a} FROM ${Lt} l WHERE ${scopeAccounts("l")})`,
    );
  }
  if (opts.accounts) await execute(conn, "DROP TABLE IF EXISTS __sp_check_rows");
  return violations;
}
