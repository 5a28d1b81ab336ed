// The synthetic source as SQL. Every value is a pure function of (seed, account number, month
// index, variant) through the engine's `hash`, so a seed reproduces the same records and no row
// ever passes through JavaScript: 1M accounts × 24 months is one set-based statement.
import { quoteIdent, quoteString } from "../engine/duckdb";
import { monthValueSql, parseMonthSql, type AccountKind, type MonthKind } from "../sql/months";

/** How often each feature of the data occurs (per account, or per reported account-month). */
export const RATES = {
  /** Accounts already open in the first generated month; the others open later. */
  openAtStart: 0.9,
  /** Months an open account does not report. */
  gap: 0.03,
  /** Records that arrive 1–3 months after their month. */
  late: 0.01,
  /** (account, month) re-sent later with different values. */
  correction: 0.01,
  /** (account, month) re-sent with an earlier timestamp than the record already sent. */
  stale: 0.005,
  /** (account, month) soft-deleted by a later tombstone record. */
  delete: 0.003,
  /** Records with a present-but-NULL balance. */
  nullBalance: 0.005,
  /** Records whose credit limit is the -1 "unknown" sentinel. */
  limitSentinel: 0.02,
  /** New accounts in an appended month, relative to the live ones. */
  newAccountsPerMonth: 0.01,
  /** Missing months of the last quarter that an appended month fills late. */
  lateFill: 0.3,
} as const;

/** Record variants: the values of a record are hashed with its variant. */
export const VARIANT = { primary: 0, correction: 1, stale: 2, tombstone: 3, appendedCorrection: 4 } as const;

/** The status code of a live record. */
export const LIVE_STATUS = "11";

/** The columns the generator writes and how its keys are typed. */
export interface SourceShape {
  account: string;
  accountKind: AccountKind;
  month: string;
  monthKind: MonthKind;
  timestamp: string;
  deleteFlag: string;
  /** Status codes written on tombstones. */
  deleteValues: string[];
}

/** The internal column carrying a record's arrival batch (month index); never written out. */
export const BATCH_COLUMN = "__sp_batch";

/** A uniform value in [0, 1) from the seed, a salt and some integer SQL expressions. */
export function uniform(seed: number, salt: string, ...args: string[]): string {
  const parts = [String(seed), ...args].map((a) => `CAST(${a} AS BIGINT)`);
  return `(hash(${parts.join(", ")}, ${quoteString(salt)}) % 1000000) / 1000000.0`;
}

/** A timestamp `seconds` after the start of the month following batch `batch` (a month index). */
export function arrivalTs(batch: string, seconds: string): string {
  return `CAST(${monthValueSql("date", `(${batch}) + 1`, "INTEGER")} AS TIMESTAMP) + to_seconds(CAST(${seconds} AS BIGINT))`;
}

const DAY = 86_400;

/** Seconds into the arrival month: primaries in days 1–6, corrections 6–20, tombstones 20–27. */
function offset(seed: number, salt: string, fromDay: number, days: number, n = "n", mi = "mi"): string {
  return `${fromDay * DAY} + floor(${uniform(seed, salt, n, mi)} * ${days * DAY})`;
}

/** The account key written for account number `n`. */
export function accountKeySql(kind: AccountKind, n: string): string {
  return kind === "BIGINT" ? `CAST(${n} AS BIGINT)` : `printf('A%09d', CAST(${n} AS BIGINT))`;
}

/** The account number of a written key (NULL for keys the generator did not write). */
export function accountNumberSql(kind: AccountKind, key: string): string {
  return kind === "BIGINT"
    ? `TRY_CAST(${key} AS BIGINT)`
    : `TRY_CAST(regexp_extract(CAST(${key} AS VARCHAR), '^A(\\d+)$', 1) AS BIGINT)`;
}

/**
 * The source records of a "core" relation with columns (n, open_mi, mi, v, batch, ts): account
 * number, its opening month, reported month, variant, arrival batch and timestamp. Attributes of an
 * account (type, base balance, drift, limit) come from its number alone, so an appended month
 * continues the same accounts.
 */
export function recordsSql(shape: SourceShape, seed: number, core: string): string {
  const u = (salt: string, ...args: string[]) => uniform(seed, salt, ...args);
  const rec = ["n", "mi", "vv"];
  const tombstone =
    shape.deleteValues.length > 1
      ? `CASE WHEN ${u("dv", "n", "mi")} < 0.5 THEN ${quoteString(shape.deleteValues[0] ?? "DA")} ELSE ${quoteString(shape.deleteValues[1] ?? "DF")} END`
      : quoteString(shape.deleteValues[0] ?? "DA");
  const severe = `(['3', '4', '5', '6'])[1 + CAST(floor(${u("sev", ...rec)} * 4) AS INTEGER)]`;
  return `
    SELECT
      ${accountKeySql(shape.accountKind, "n")} AS ${quoteIdent(shape.account)},
      ${monthValueSql(shape.monthKind, "mi", "INTEGER")} AS ${quoteIdent(shape.month)},
      ts AS ${quoteIdent(shape.timestamp)},
      CASE WHEN v = ${VARIANT.tombstone} THEN ${tombstone} ELSE ${quoteString(LIVE_STATUS)} END AS ${quoteIdent(shape.deleteFlag)},
      acct_type AS acct_type_cd,
      CASE WHEN acct_type IN ('18', '07') THEN NULL ELSE CAST(round(b0 * 1.3) AS BIGINT) END AS orig_loan_am,
      CAST(b0 + greatest(slope, 0) * (mi - open_mi) + 250 AS BIGINT) AS high_credit_am,
      CASE WHEN ${u("bnull", ...rec)} < ${RATES.nullBalance} THEN NULL
           ELSE CAST(greatest(0, b0 + slope * (mi - open_mi) + floor((${u("noise", ...rec)} - 0.5) * 600)) AS INTEGER)
      END AS balance_am,
      CASE WHEN ${u("lim", ...rec)} < ${RATES.limitSentinel} THEN CAST(-1 AS BIGINT)
           ELSE CAST(limit0 + 500 * ((mi - open_mi) // 12) AS BIGINT)
      END AS credit_limit_am,
      dpd AS days_past_due,
      CASE dpd
        WHEN 0 THEN CASE WHEN ${u("closed", ...rec)} < 0.02 THEN 'C' ELSE '0' END
        WHEN 30 THEN '1'
        WHEN 60 THEN '2'
        ELSE ${severe}
      END AS payment_rating_cd,
      CAST(batch AS INTEGER) AS ${BATCH_COLUMN}
    FROM (
      SELECT c.*,
        500 + floor(${u("b0", "n")} * 20000) AS b0,
        floor((${u("slope", "n")} - 0.5) * 200) AS slope,
        1000 * (1 + floor(${u("limit", "n")} * 30)) AS limit0,
        (['18', '18', '18', '07', '00', '01', '26', '47'])[1 + CAST(floor(${u("type", "n")} * 8) AS INTEGER)] AS acct_type,
        CASE WHEN ${u("dpd", ...rec)} < 0.90 THEN 0
             WHEN ${u("dpd", ...rec)} < 0.96 THEN 30
             WHEN ${u("dpd", ...rec)} < 0.985 THEN 60
             ELSE 90 END AS dpd
      FROM (
        SELECT n, open_mi, mi, v, batch, ts,
               CASE WHEN v = ${VARIANT.tombstone} THEN ${VARIANT.primary} ELSE v END AS vv
        FROM (${core})
      ) c
    )`;
}

/**
 * The core of a fresh source: accounts 1..N over months [first, last]. Records arrive in the batch
 * of their month, late ones up to 3 batches later; corrections, stale re-sends and tombstones
 * follow their record in the same or a later batch (never after the last).
 */
export function freshCoreSql(p: { seed: number; accounts: number; first: number; last: number }): string {
  const { seed, first, last } = p;
  const months = last - first + 1;
  const u = (salt: string, ...args: string[]) => uniform(seed, salt, ...args);
  const lagged = (salt: string, base: string, maxLag: number) => `least(${last}, ${base} + floor(${u(salt, "n", "mi")} * ${maxLag + 1}))`;
  return `
    WITH acc AS (
      SELECT n, CAST(CASE WHEN ${u("open", "n")} < ${RATES.openAtStart} THEN ${first}
                          ELSE ${first} + floor(${u("openm", "n")} * ${months}) END AS INTEGER) AS open_mi
      FROM range(1, ${p.accounts + 1}) t(n)
    ),
    grid AS (
      SELECT acc.n, acc.open_mi, CAST(m.mi AS INTEGER) AS mi
      FROM acc, range(${first}, ${last + 1}) m(mi)
      WHERE m.mi >= acc.open_mi AND (m.mi = acc.open_mi OR ${uniform(seed, "gap", "acc.n", "m.mi")} >= ${RATES.gap})
    ),
    prim AS (
      SELECT n, open_mi, mi,
        CAST(least(${last}, mi + CASE WHEN ${u("late", "n", "mi")} < ${RATES.late} THEN 1 + floor(${u("lag", "n", "mi")} * 3) ELSE 0 END) AS INTEGER) AS batch
      FROM grid
    ),
    prim_ts AS (
      SELECT n, open_mi, mi, batch, ${arrivalTs("batch", offset(seed, "pday", 1, 5))} AS ts FROM prim
    )
    SELECT n, open_mi, mi, ${VARIANT.primary} AS v, batch, ts FROM prim_ts
    UNION ALL
    SELECT n, open_mi, mi, ${VARIANT.correction}, b, ${arrivalTs("b", offset(seed, "cday", 6, 14))}
    FROM (SELECT *, CAST(${lagged("clag", "batch", 2)} AS INTEGER) AS b FROM prim_ts WHERE ${u("corr", "n", "mi")} < ${RATES.correction})
    UNION ALL
    SELECT n, open_mi, mi, ${VARIANT.stale}, CAST(${lagged("slag", "batch", 1)} AS INTEGER),
           ts - to_seconds(CAST(${offset(seed, "sday", 1, 9)} AS BIGINT))
    FROM prim_ts WHERE ${u("stale", "n", "mi")} < ${RATES.stale}
    UNION ALL
    SELECT n, open_mi, mi, ${VARIANT.tombstone}, b, ${arrivalTs("b", offset(seed, "dday", 20, 7))}
    FROM (SELECT *, CAST(${lagged("dlag", "batch", 2)} AS INTEGER) AS b FROM prim_ts WHERE ${u("del", "n", "mi")} < ${RATES.delete})`;
}

/** SQL normalising an existing source relation to (n, mi, ts) for an append. */
export function existingSql(shape: SourceShape, relation: string): string {
  const n = accountNumberSql(shape.accountKind, quoteIdent(shape.account));
  const mi = parseMonthSql(shape.monthKind, quoteIdent(shape.month));
  return `SELECT n, CAST(mi AS INTEGER) AS mi, ts FROM (
            SELECT ${n} AS n, ${mi} AS mi, TRY_CAST(${quoteIdent(shape.timestamp)} AS TIMESTAMP) AS ts FROM ${relation})
          WHERE n IS NOT NULL AND mi IS NOT NULL`;
}

/**
 * The core of one appended month `month` over an existing source (table `existing` with columns
 * n, mi, ts): a forward record for every live account (reported in the last quarter) unless the
 * month is a gap, `newAccounts` accounts numbered after `maxAccount`, late records filling gaps of
 * the last quarter, corrections of the newest month, a few tombstones, and — for file sources,
 * where the manifest rather than a watermark decides what is new — stale re-sends. Every timestamp
 * except a stale one is later than `maxTs`, so the incremental watermark picks the batch up.
 */
export function appendCoreSql(p: {
  seed: number;
  existing: string;
  month: number;
  maxAccount: number;
  newAccounts: number;
  maxTs: string | null;
  withStale: boolean;
}): string {
  const { seed, month } = p;
  const newest = month - 1;
  const u = (salt: string, ...args: string[]) => uniform(seed, salt, ...args);
  const after = (ts: string) =>
    p.maxTs === null ? ts : `greatest(${ts}, CAST(${quoteString(p.maxTs)} AS TIMESTAMP) + to_seconds(CAST(1 + floor(${u("tsguard", "n", "mi")} * 3600) AS BIGINT)))`;
  const stale = p.withStale
    ? `UNION ALL
       SELECT x.n, a.open_mi, x.mi, ${VARIANT.stale}, ${month}, x.ts - to_seconds(CAST(${offset(seed, "asday", 1, 9, "x.n", "x.mi")} AS BIGINT))
       FROM (SELECT n, mi, max(ts) AS ts FROM ${p.existing} WHERE mi = ${newest} GROUP BY n, mi) x JOIN acc a ON a.n = x.n
       WHERE ${uniform(seed, "astale", "x.n", "x.mi")} < ${RATES.stale}`
    : "";
  return `
    WITH acc AS (SELECT n, CAST(min(mi) AS INTEGER) AS open_mi, max(mi) AS last_mi FROM ${p.existing} GROUP BY n),
    live AS (SELECT n, open_mi FROM acc WHERE last_mi >= ${month - 3}),
    grid AS (
      SELECT n, open_mi, ${month} AS mi FROM live WHERE ${uniform(seed, "gap", "n", String(month))} >= ${RATES.gap}
      UNION ALL
      SELECT ${p.maxAccount} + r AS n, ${month} AS open_mi, ${month} AS mi FROM range(1, ${p.newAccounts + 1}) t(r)
    ),
    fills AS (
      SELECT l.n, l.open_mi, CAST(g.mi AS INTEGER) AS mi
      FROM live l, range(${month - 3}, ${month}) g(mi)
      WHERE g.mi > l.open_mi AND ${uniform(seed, "fill", "l.n", "g.mi")} < ${RATES.lateFill}
        AND NOT EXISTS (SELECT 1 FROM ${p.existing} x WHERE x.n = l.n AND x.mi = g.mi)
    ),
    reported AS (SELECT DISTINCT x.n, a.open_mi, x.mi FROM ${p.existing} x JOIN acc a ON a.n = x.n WHERE x.mi IN (${newest}, ${newest - 1}))
    SELECT n, open_mi, mi, ${VARIANT.primary} AS v, ${month} AS batch, ${after(arrivalTs(String(month), offset(seed, "pday", 1, 5)))} AS ts
    FROM (SELECT * FROM grid UNION ALL SELECT * FROM fills)
    UNION ALL
    SELECT n, open_mi, mi, ${VARIANT.appendedCorrection}, ${month}, ${after(arrivalTs(String(month), offset(seed, "cday", 6, 14)))}
    FROM reported WHERE mi = ${newest} AND ${u("acorr", "n", "mi")} < ${RATES.correction}
    UNION ALL
    SELECT n, open_mi, mi, ${VARIANT.tombstone}, ${month}, ${after(arrivalTs(String(month), offset(seed, "dday", 20, 7)))}
    FROM reported WHERE mi = ${newest - 1} AND ${u("adel", "n", "mi")} < ${RATES.delete}
    ${stale}`;
}
