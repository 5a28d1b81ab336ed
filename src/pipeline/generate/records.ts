// The synthetic source as SQL. Every value is a pure function of (seed, account number, month
// index, variant) through the engine's `hash`, so a seed reproduces the same records and no row
// ever passes through JavaScript: 1M accounts × 24 months is one set-based statement. Cost is
// proportional to the operations per row, so each row gets two hashes cut into bit fields, and
// everything that depends on the account alone is computed once per account.
import { quoteIdent, quoteString } from "../engine/duckdb";
import { formatMonthIndex, parseMonthSql, type AccountKind, type MonthKind } from "../sql/months";

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

/**
 * Record variants. A record's values are hashed with `v & 3`, so a tombstone carries the values
 * of the primary record it deletes, and an appended correction differs from an earlier one.
 */
export const VARIANT = { primary: 0, correction: 1, stale: 2, appendedCorrection: 3, tombstone: 4 } as const;

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

/** Hash tags: which decisions a hash feeds. */
const TAG = { account: 1, open: 2, month: 3, variant: 4, value: 5, append: 6 } as const;

/** Seeds are packed with month, tag and variant into one hash argument (two-argument hashes are cheap). */
export const MAX_SEED = 2 ** 31 - 1;

/**
 * A 64-bit hash of account `n`, month index `mi`, variant `v`, a tag and the seed. Month indexes
 * stay below 32768 (year 2730), variants below 8.
 */
export function hashOf(seed: number, tag: number, n: string, mi = "0", v = "0"): string {
  return `hash(CAST(${n} AS BIGINT), CAST(${seed * 4_194_304 + tag * 8} + (${mi}) * 128 + (${v}) AS BIGINT))`;
}

type Field = readonly [shift: number, width: number];

/** Bit fields of the hash of (account, month): the month's fate and its primary's arrival. */
const GRID = { gap: [0, 10], late: [10, 10], correction: [20, 10], stale: [30, 10], tombstone: [40, 10], lags: [50, 5], arrival: [55, 9] } as const;
/** Bit fields of the hash of (account, month, variant): a record's values. */
const VALUE = { rating: [0, 10], nullBalance: [10, 10], noise: [20, 10], limit: [30, 10], severity: [40, 2], code: [42, 1] } as const;
/** Bit fields of per-account hashes. */
const ACCOUNT = { balance: [0, 15], slope: [15, 8], limit: [23, 5], type: [28, 3], open: [31, 10], openMonth: [41, 16] } as const;
/** Bit fields of the hash of a record beyond the primary: arrival offsets. */
const EXTRA = { correction: [0, 16], stale: [16, 16], tombstone: [32, 16] } as const;
/** Bit fields of the append decisions of (account, month). */
const APPEND = { fill: [0, 10], correction: [10, 10], tombstone: [20, 10], stale: [30, 10] } as const;

/** The unsigned value of a bit field of a hash. */
function field(h: string, [shift, width]: Field): string {
  return shift === 0 ? `(${h} & ${2 ** width - 1})` : `((${h} >> ${shift}) & ${2 ** width - 1})`;
}

/** True with probability `rate`. */
function chance(h: string, f: Field, rate: number): string {
  return `${field(h, f)} < ${Math.round(rate * 2 ** f[1])}`;
}

/** A signed BIGINT uniform in [0, range). */
function scaled(h: string, f: Field, range: number): string {
  return `(CAST(${field(h, f)} AS BIGINT) * ${range} // ${2 ** f[1]})`;
}

const DAY_US = 86_400_000_000;

/** Microseconds from day `fromDay` to `fromDay + days` into a month. */
function daysInto(h: string, f: Field, fromDay: number, days: number): string {
  const stepSeconds = Math.floor((days * 86_400) / 2 ** f[1]);
  return `(${fromDay * DAY_US} + CAST(${field(h, f)} AS BIGINT) * ${stepSeconds * 1_000_000})`;
}

/**
 * Epoch microseconds of the start of the month after batch `batch` (a month index in [lo, hi]).
 * Month starts are a constant list: interval arithmetic on timestamps costs several times more
 * over tens of millions of rows. Primaries arrive on days 1–6, corrections 6–20, tombstones 20–27.
 */
function arrivalMonthStart(lo: number, hi: number): (batch: string) => string {
  const starts: number[] = [];
  for (let mi = lo + 1; mi <= hi + 1; mi++) starts.push(Date.UTC(Math.floor(mi / 12), mi % 12, 1) * 1000);
  return (batch) => `([${starts.join(", ")}])[(${batch}) - ${lo - 1}]`;
}

/** The month value of month index `mi` in [lo, hi], in the source's month kind. */
function monthValue(kind: MonthKind, lo: number, hi: number, mi: string): string {
  if (kind === "yyyymm") return `CAST((${mi}) // 12 * 100 + (${mi}) % 12 + 1 AS INTEGER)`;
  const values: string[] = [];
  for (let m = lo; m <= hi; m++) {
    const text = formatMonthIndex(m);
    values.push(kind === "date" ? `DATE '${text}-01'` : `'${text}'`);
  }
  return `([${values.join(", ")}])[(${mi}) - ${lo - 1}]`;
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

/** Columns every core relation carries: an account's fixed attributes. */
const ACCOUNT_COLUMNS = ["acct_key", "acct_type", "orig_loan", "b0", "slope", "climb", "limit0"] as const;
const ACCOUNT_LIST = ACCOUNT_COLUMNS.join(", ");
const accountColumnsOf = (alias: string) => ACCOUNT_COLUMNS.map((c) => `${alias}.${c}`).join(", ");

/**
 * Adds an account's fixed attributes — key, type, original loan, base balance, monthly drift,
 * credit limit — to a relation with an account number `n`. They depend on the number alone, so
 * an appended month continues the same accounts. Revolving types (18, 07) have no original loan.
 */
function withAccountAttributes(seed: number, kind: AccountKind, relation: string): string {
  return `
    SELECT *,
      CASE WHEN acct_type IN ('18', '07') THEN NULL ELSE CAST(b0 * 13 // 10 AS BIGINT) END AS orig_loan,
      greatest(slope, 0) AS climb
    FROM (
      SELECT *,
        ${accountKeySql(kind, "n")} AS acct_key,
        500 + ${scaled("ha", ACCOUNT.balance, 20_000)} AS b0,
        ${scaled("ha", ACCOUNT.slope, 201)} - 100 AS slope,
        1000 * (1 + ${scaled("ha", ACCOUNT.limit, 30)}) AS limit0,
        (['18', '18', '18', '07', '00', '01', '26', '47'])[1 + CAST(${field("ha", ACCOUNT.type)} AS BIGINT)] AS acct_type
      FROM (SELECT *, ${hashOf(seed, TAG.account, "n")} AS ha FROM (${relation}))
    )`;
}

/**
 * The source records of a "core" relation with columns (n, open_mi, mi, v, batch, ts) plus the
 * account columns: reported month, variant, arrival batch and timestamp. A record's values come
 * from one hash of (account, month, variant). Reported months must lie in [lo, hi].
 */
export function recordsSql(shape: SourceShape, seed: number, core: string, months: { lo: number; hi: number }): string {
  const [dv0 = "DA", dv1] = shape.deleteValues;
  const code = field("hv", VALUE.code);
  const tombstone = dv1 === undefined ? quoteString(dv0) : `CASE WHEN ${code} = 0 THEN ${quoteString(dv0)} ELSE ${quoteString(dv1)} END`;
  const rating = field("hv", VALUE.rating);
  const t = (rate: number) => Math.round(rate * 1024);
  return `
    SELECT
      acct_key AS ${quoteIdent(shape.account)},
      ${monthValue(shape.monthKind, months.lo, months.hi, "mi")} AS ${quoteIdent(shape.month)},
      ts AS ${quoteIdent(shape.timestamp)},
      CASE WHEN v = ${VARIANT.tombstone} THEN ${tombstone} ELSE ${quoteString(LIVE_STATUS)} END AS ${quoteIdent(shape.deleteFlag)},
      acct_type AS acct_type_cd,
      orig_loan AS orig_loan_am,
      CAST(b0 + 250 + climb * age AS BIGINT) AS high_credit_am,
      CASE WHEN ${chance("hv", VALUE.nullBalance, RATES.nullBalance)} THEN NULL
           ELSE CAST(greatest(0, b0 + slope * age + CAST(${field("hv", VALUE.noise)} AS INTEGER) % 601 - 300) AS INTEGER)
      END AS balance_am,
      CASE WHEN ${chance("hv", VALUE.limit, RATES.limitSentinel)} THEN CAST(-1 AS BIGINT)
           ELSE CAST(limit0 + 500 * (age // 12) AS BIGINT)
      END AS credit_limit_am,
      CAST(CASE WHEN ${rating} < ${t(0.9)} THEN 0 WHEN ${rating} < ${t(0.96)} THEN 30 WHEN ${rating} < ${t(0.985)} THEN 60 ELSE 90 END AS INTEGER) AS days_past_due,
      CASE WHEN ${rating} < ${t(0.018)} THEN 'C'
           WHEN ${rating} < ${t(0.9)} THEN '0'
           WHEN ${rating} < ${t(0.96)} THEN '1'
           WHEN ${rating} < ${t(0.985)} THEN '2'
           ELSE (['3', '4', '5', '6'])[1 + CAST(${field("hv", VALUE.severity)} AS BIGINT)]
      END AS payment_rating_cd,
      CAST(batch AS INTEGER) AS ${BATCH_COLUMN}
    FROM (
      SELECT *, mi - open_mi AS age, ${hashOf(seed, TAG.value, "n", "mi", "v & 3")} AS hv FROM (${core})
    )`;
}

/**
 * The core of a fresh source: accounts 1..N over months [first, last]. Records arrive in the batch
 * of their month, late ones up to 3 batches later; corrections, stale re-sends and tombstones
 * follow their record in the same or a later batch (never after the last). The few extra variants
 * re-derive the month grid rather than expanding every row of it.
 */
export function freshCoreSql(p: { seed: number; accountKind: AccountKind; accounts: number; first: number; last: number }): string {
  const { seed, first, last } = p;
  const months = last - first + 1;
  const start = arrivalMonthStart(first, last);
  const lags = field("hg", GRID.lags);
  const accounts = `
    SELECT n, CAST(CASE WHEN ${chance("ho", ACCOUNT.open, RATES.openAtStart)} THEN ${first}
                        ELSE ${first} + ${scaled("ho", ACCOUNT.openMonth, months)} END AS INTEGER) AS open_mi
    FROM (SELECT n, ${hashOf(seed, TAG.open, "n")} AS ho FROM range(1, ${p.accounts + 1}) t(n))`;
  const extra = (h: string) =>
    `${chance(h, GRID.correction, RATES.correction)} OR ${chance(h, GRID.stale, RATES.stale)} OR ${chance(h, GRID.tombstone, RATES.delete)}`;
  const primaryUs = `${start("prim_batch")} + ${daysInto("hg", GRID.arrival, 1, 5)}`;
  return `
    WITH grid AS NOT MATERIALIZED (
      SELECT *,
        CASE WHEN ${chance("hg", GRID.late, RATES.late)} THEN CAST(least(${last}, mi + 1 + ${lags} % 3) AS INTEGER) ELSE mi END AS prim_batch
      FROM (
        SELECT *, ${hashOf(seed, TAG.month, "n", "mi")} AS hg
        FROM (
          SELECT n, open_mi, ${ACCOUNT_LIST}, CAST(unnest(range(open_mi, ${last + 1})) AS INTEGER) AS mi
          FROM (${withAccountAttributes(seed, p.accountKind, accounts)})
        )
      )
      WHERE mi = open_mi OR NOT (${chance("hg", GRID.gap, RATES.gap)})
    )
    SELECT n, open_mi, mi, ${VARIANT.primary} AS v, prim_batch AS batch, make_timestamp(${primaryUs}) AS ts, ${ACCOUNT_LIST}
    FROM grid
    UNION ALL
    SELECT n, open_mi, mi, v, batch,
      make_timestamp(CASE v
        WHEN ${VARIANT.correction} THEN ${start("batch")} + ${daysInto("hx", EXTRA.correction, 6, 14)}
        WHEN ${VARIANT.stale} THEN ${primaryUs} - ${daysInto("hx", EXTRA.stale, 1, 9)}
        ELSE ${start("batch")} + ${daysInto("hx", EXTRA.tombstone, 20, 7)}
      END) AS ts, ${ACCOUNT_LIST}
    FROM (
      SELECT *,
        CAST(least(${last}, prim_batch + CASE v
          WHEN ${VARIANT.correction} THEN ${lags} // 3 % 3
          WHEN ${VARIANT.stale} THEN ${lags} // 9 % 2
          ELSE ${lags} // 18 % 2 END) AS INTEGER) AS batch
      FROM (
        SELECT g.*, vs.v, ${hashOf(seed, TAG.variant, "g.n", "g.mi")} AS hx
        FROM (SELECT * FROM grid WHERE ${extra("hg")}) g,
             (VALUES (${VARIANT.correction}), (${VARIANT.stale}), (${VARIANT.tombstone})) vs(v)
        WHERE (vs.v = ${VARIANT.correction} AND ${chance("g.hg", GRID.correction, RATES.correction)})
           OR (vs.v = ${VARIANT.stale} AND ${chance("g.hg", GRID.stale, RATES.stale)})
           OR (vs.v = ${VARIANT.tombstone} AND ${chance("g.hg", GRID.tombstone, RATES.delete)})
      )
    )`;
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
  accountKind: AccountKind;
  existing: string;
  month: number;
  maxAccount: number;
  newAccounts: number;
  maxTs: string | null;
  withStale: boolean;
}): string {
  const { seed, month } = p;
  const newest = month - 1;
  const start = arrivalMonthStart(month, month)(String(month));
  const at = (us: string) => {
    const ts = `make_timestamp(${start} + ${us})`;
    return p.maxTs === null ? ts : `greatest(${ts}, CAST(${quoteString(p.maxTs)} AS TIMESTAMP) + INTERVAL 1 SECOND)`;
  };
  const ah = (n = "n", mi = "mi") => hashOf(seed, TAG.append, n, mi);
  const xh = (n = "n", mi = "mi") => hashOf(seed, TAG.variant, n, mi);
  const cols = `n, open_mi, mi, ${ACCOUNT_LIST}`;
  const stale = p.withStale
    ? `UNION ALL
       SELECT a.n, a.open_mi, x.mi, ${accountColumnsOf("a")}, ${VARIANT.stale}, ${month},
              make_timestamp(epoch_us(x.ts) - ${daysInto(xh("x.n", "x.mi"), EXTRA.stale, 1, 9)})
       FROM (SELECT n, mi, max(ts) AS ts FROM ${p.existing} WHERE mi = ${newest} GROUP BY n, mi) x JOIN acc a ON a.n = x.n
       WHERE ${chance(ah("x.n", "x.mi"), APPEND.stale, RATES.stale)}`
    : "";
  const existingAccounts = `SELECT n, CAST(min(mi) AS INTEGER) AS open_mi, max(mi) AS last_mi FROM ${p.existing} GROUP BY n`;
  const newAccounts = `SELECT ${p.maxAccount} + r AS n, ${month} AS open_mi FROM range(1, ${p.newAccounts + 1}) t(r)`;
  return `
    WITH acc AS (${withAccountAttributes(seed, p.accountKind, existingAccounts)}),
    live AS (SELECT * FROM acc WHERE last_mi >= ${month - 3}),
    forward AS (
      SELECT ${cols} FROM (
        SELECT n, open_mi, ${month} AS mi, ${ACCOUNT_LIST} FROM live
        WHERE NOT (${chance(hashOf(seed, TAG.month, "n", String(month)), GRID.gap, RATES.gap)})
        UNION ALL
        SELECT n, open_mi, ${month} AS mi, ${ACCOUNT_LIST} FROM (${withAccountAttributes(seed, p.accountKind, newAccounts)})
      )
    ),
    fills AS (
      SELECT l.n, l.open_mi, CAST(g.mi AS INTEGER) AS mi, ${accountColumnsOf("l")}
      FROM live l, range(${month - 3}, ${month}) g(mi)
      WHERE g.mi > l.open_mi AND ${chance(ah("l.n", "g.mi"), APPEND.fill, RATES.lateFill)}
        AND NOT EXISTS (SELECT 1 FROM ${p.existing} x WHERE x.n = l.n AND x.mi = g.mi)
    ),
    reported AS (
      SELECT DISTINCT a.n, a.open_mi, x.mi, ${accountColumnsOf("a")}
      FROM ${p.existing} x JOIN acc a ON a.n = x.n WHERE x.mi IN (${newest}, ${newest - 1})
    )
    SELECT ${cols}, ${VARIANT.primary} AS v, ${month} AS batch,
           ${at(daysInto(hashOf(seed, TAG.month, "n", "mi"), GRID.arrival, 1, 5))} AS ts
    FROM (SELECT ${cols} FROM forward UNION ALL SELECT ${cols} FROM fills)
    UNION ALL
    SELECT ${cols}, ${VARIANT.appendedCorrection}, ${month}, ${at(daysInto(xh(), EXTRA.correction, 6, 14))}
    FROM reported WHERE mi = ${newest} AND ${chance(ah(), APPEND.correction, RATES.correction)}
    UNION ALL
    SELECT ${cols}, ${VARIANT.tombstone}, ${month}, ${at(daysInto(xh(), EXTRA.tombstone, 20, 7))}
    FROM reported WHERE mi = ${newest - 1} AND ${chance(ah(), APPEND.tombstone, RATES.delete)}
    ${stale}`;
}
