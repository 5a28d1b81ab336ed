// De-duplication and classification of a staged batch (SPEC §3, §4) into the run's work table,
// and the pure, JSON-serialisable plan built from it. Every record gets a case; every account a
// path: `fast` (forward months that shift the latest row) or `full` (rows rebuilt from the
// record index and the existing rows: new accounts, backfills, corrections, deletes).
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "../config/schema";
import { execute, queryOne, queryRows } from "../engine/duckdb";
import type { Layout } from "../layout";
import { monthIndexSql } from "../sql/months";
import { quoteIdent } from "../engine/duckdb";
import { formatMonthIndex } from "../sql/months";

export const SEQ_RUN_SHIFT = 2 ** 40;

export interface PlanCounts {
  read: number;
  quarantined: number;
  duplicates: number;
  equalTimestampConflicts: number;
  newAccountRecords: number;
  forwardRecords: number;
  backfillRecords: number;
  staleRecords: number;
  deleteRecords: number;
  ignoredDeletes: number;
  newAccounts: number;
}

export interface Plan {
  runId: string;
  mode: "initial" | "incremental";
  input: string;
  counts: PlanCounts;
  accounts: { total: number; fast: number; full: number };
  /** Months the batch touches, with records per case. */
  months: { month: string; records: number; newAccount: number; forward: number; backfill: number; delete: number; stale: number }[];
  /** Summary rows the run will write: new rows and rewritten existing rows (estimate for full-path accounts). */
  rowsToWrite: { insert: number; rewrite: number };
  buckets: { count: number; rows: { bucket: number; records: number; accounts: number }[] };
}

export function chooseBucketCount(cfg: PipelineConfig, records: number): number {
  let target = cfg.partitioning.target_rows_per_partition;
  const mem = parseBytes(cfg.engine.memory_limit);
  // a bucket's working set is a few hundred bytes per record and history month; keep it well under memory
  if (mem) target = Math.max(1, Math.min(target, Math.floor(mem / 2048)));
  let n = 1;
  while (n < cfg.partitioning.max_partitions && records / n > target) n *= 2;
  return n;
}

function parseBytes(s: string | null): number | null {
  if (!s) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(s.trim());
  if (!m) return null;
  const unit = (m[2] ?? "").toUpperCase();
  const pow = { KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 }[unit] ?? 1;
  return Number(m[1]) * pow;
}

/**
 * The tables a batch is classified against: the live latest_summary, trailing-tombstone set and
 * record index of an incremental run (qualified names); null for an initial build, which starts
 * from nothing.
 */
export interface ExistingState {
  latest: string;
  tail: string;
  records: string;
}

/**
 * Builds the work table `into` of a run from its stage table: de-duplicated records with their
 * case, path and bucket; the stage is dropped once read. Returns the dedup counts. It reads only
 * committed tables and writes temporary ones and the work table, so a run calls it outside any
 * transaction, where the temporary tables it makes are read back at full speed (inside a
 * transaction, a table created in it is read at about half speed). A run whose prepare then
 * fails leaves its work table, as a failed run does; a resume rebuilds it.
 */
export async function classifyBatch(
  conn: DuckDBConnection,
  p: { cfg: PipelineConfig; layout: Layout; existing: ExistingState | null; stage: string; into: string; runSeq: number },
): Promise<{ duplicates: number; equalTimestampConflicts: number; bucketCount: number }> {
  const { layout } = p;
  const vcols = layout.rolling.map((_, i) => `v${i}`);
  const scols = layout.scalars.map((_, i) => `s${i}`);
  const payload = [...vcols, ...scols, "dflag"].join(", ");
  const latestMi = monthIndexSql(layout.monthKind, `l.${quoteIdent(layout.monthColumn)}`);
  const acctCol = quoteIdent(layout.accountColumn);
  // with no existing state, empty relations typed like the batch's own records
  const latestRel = p.existing
    ? `(SELECT l.${acctCol} AS acct, ${latestMi} AS lmi, l.base_ts AS lts FROM ${p.existing.latest} l)`
    : `(SELECT acct, mi AS lmi, ts AS lts FROM __sp_d WHERE FALSE)`;
  const tailRel = p.existing ? `(SELECT DISTINCT acct FROM ${p.existing.tail})` : `(SELECT acct FROM __sp_d WHERE FALSE)`;
  const indexCols = ["acct", "mi", "ts", "seq", "tomb", ...scols, "dflag"];
  const indexRel = p.existing
    ? `(SELECT ${[...indexCols, "rx"].map((c) => `r.${c}`).join(", ")} FROM ${p.existing.records} r)`
    : `(SELECT ${indexCols.join(", ")}, FALSE AS rx FROM __sp_d WHERE FALSE)`;

  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_d AS
     SELECT * EXCLUDE (rn) FROM (
       SELECT acct, mi, ts, pos, CAST(${p.runSeq} AS BIGINT) * ${SEQ_RUN_SHIFT} + pos AS seq, tomb, ${payload},
              bool_or(NOT tomb) OVER k AS any_live, count(*) OVER k AS nk,
              row_number() OVER (k ORDER BY ts DESC, pos DESC) AS rn
       FROM ${p.stage} WHERE reason IS NULL
       WINDOW k AS (PARTITION BY acct, mi)
     ) WHERE rn = 1`,
  );
  // duplicates: the records beyond one per key; equal-timestamp conflicts: the records of a key
  // sharing its winner's base_ts, beyond the winner (only keys with more than one record can have any)
  const dup = await queryOne(
    conn,
    `SELECT count(*) AS keys, coalesce(sum(nk - 1), 0) AS dups, count(*) FILTER (WHERE nk > 1) AS multi FROM __sp_d`,
  );
  const multi = Number(dup?.multi ?? 0);
  let ties = 0;
  if (multi > 0) {
    const atTop = await queryOne(
      conn,
      `SELECT count(*) AS n FROM ${p.stage} s JOIN (SELECT acct, mi, ts FROM __sp_d WHERE nk > 1) d
       ON d.acct = s.acct AND d.mi = s.mi AND d.ts = s.ts WHERE s.reason IS NULL`,
    );
    ties = Number(atTop?.n ?? 0) - multi;
  }
  const keys = Number(dup?.keys ?? 0);
  const bucketCount = chooseBucketCount(p.cfg, keys);
  // the stage is not read again: it goes now rather than hold its memory through the joins below
  await execute(conn, `DROP TABLE IF EXISTS ${p.stage}`);
  // per account: its newest live month and base_ts, and whether every record is a forward month
  // no older than the latest row's base_ts (then shifting the latest row is exact, base_ts too)
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_acc AS
     SELECT d.acct, any_value(la.lmi) AS lmi,
            coalesce(bool_and(NOT d.tomb AND d.mi > la.lmi AND d.ts >= la.lts), FALSE) AND any_value(la.lmi) IS NOT NULL AS fwd_ok
     FROM __sp_d d
     LEFT JOIN ${latestRel} la ON la.acct = d.acct
     GROUP BY d.acct`,
  );
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_acc2 AS
     SELECT a.acct, a.lmi, a.fwd_ok AND t.acct IS NULL AS fast
     FROM __sp_acc a LEFT JOIN ${tailRel} t ON t.acct = a.acct`,
  );
  // record index entries of full-path accounts only, without their values (a revive takes the
  // version and scalars of its tombstone); those whose month has a row are the
  // account's existing summary rows (the index knows, so the wide summary is not read)
  await execute(
    conn,
    `CREATE OR REPLACE TEMP TABLE __sp_v AS
     SELECT * FROM ${indexRel} r WHERE r.acct IN (SELECT acct FROM __sp_acc2 WHERE NOT fast)`,
  );
  await execute(conn, `CREATE OR REPLACE TEMP TABLE __sp_srows AS SELECT acct, mi FROM __sp_v WHERE rx`);
  // a stale live record still makes its month's row exist (SPEC §3: R holds a live record) when
  // the record in force is a tombstone that never had a row: the row is built from that tombstone
  // (`revive`, computed in a derived table: as a LATERAL subquery it made this statement 2.7× slower)
  const kept = ["ts", "seq", "tomb", ...scols, "dflag"];
  await execute(
    conn,
    `CREATE OR REPLACE TABLE ${p.into} AS
     SELECT d.acct, d.mi,
       CASE WHEN revive THEN d.v_ts ELSE d.ts END AS ts, d.pos,
       CASE WHEN revive THEN d.v_seq ELSE d.seq END AS seq,
       d.tomb OR revive AS tomb,
       ${vcols.map((c) => `CASE WHEN revive THEN NULL ELSE d.${c} END AS ${c}`).join(", ")},
       ${[...scols, "dflag"].map((c) => `CASE WHEN revive THEN d.v_${c} ELSE d.${c} END AS ${c}`).join(", ")},
       d.any_live, d.lmi, d.fast, CAST(hash(d.acct) % ${bucketCount} AS INTEGER) AS bucket,
       CASE
         WHEN revive THEN 'revive'
         WHEN d.v_ts IS NOT NULL AND d.v_ts > d.ts THEN 'stale'
         WHEN d.tomb AND (sr.acct IS NOT NULL OR d.any_live) THEN 'delete'
         WHEN d.tomb THEN 'ignored_delete'
         WHEN sa.acct IS NULL THEN 'new'
         WHEN d.mi > sa.max_mi THEN 'forward'
         ELSE 'backfill'
       END AS kase,
       sa.acct IS NULL AS new_account,
       sr.acct IS NOT NULL OR d.any_live AS row_exists,
       sr.acct IS NOT NULL AS had_row
     FROM (
       SELECT d.* EXCLUDE (nk), a.lmi, a.fast, ${kept.map((c) => `v.${c} AS v_${c}`).join(", ")},
              v.ts IS NOT NULL AND v.ts > d.ts AND d.any_live AND v.tomb AND sr0.acct IS NULL AS revive
       FROM __sp_d d
       JOIN __sp_acc2 a ON a.acct = d.acct AND NOT a.fast
       LEFT JOIN __sp_v v ON v.acct = d.acct AND v.mi = d.mi
       LEFT JOIN __sp_srows sr0 ON sr0.acct = d.acct AND sr0.mi = d.mi
     ) d
     LEFT JOIN (SELECT acct, max(mi) AS max_mi FROM __sp_srows GROUP BY acct) sa ON sa.acct = d.acct
     LEFT JOIN __sp_srows sr ON sr.acct = d.acct AND sr.mi = d.mi
     UNION ALL
     -- a fast account's records are live forward months past its latest row: nothing to look up
     SELECT d.acct, d.mi, d.ts, d.pos, d.seq, d.tomb, ${payload.split(", ").map((c) => `d.${c}`).join(", ")},
            d.any_live, a.lmi, a.fast, CAST(hash(d.acct) % ${bucketCount} AS INTEGER), 'forward', FALSE, d.any_live, FALSE
     FROM __sp_d d JOIN __sp_acc2 a ON a.acct = d.acct AND a.fast`,
  );
  for (const t of ["__sp_d", "__sp_acc", "__sp_acc2", "__sp_v"]) await execute(conn, `DROP TABLE IF EXISTS ${t}`);
  return { duplicates: Number(dup?.dups ?? 0), equalTimestampConflicts: ties, bucketCount };
}

/** The plan of a classified batch, read off its work table (pure data, JSON-serialisable). */
export async function buildPlan(
  conn: DuckDBConnection,
  p: {
    runId: string;
    mode: "initial" | "incremental";
    input: string;
    work: string;
    layout: Layout;
    bucketCount: number;
    read: number;
    quarantined: number;
    duplicates: number;
    equalTimestampConflicts: number;
  },
): Promise<Plan> {
  const L = p.layout.maxHistoryLength;
  const c = await queryOne(
    conn,
    `SELECT count(*) FILTER (WHERE kase = 'new') AS new_rec,
            count(*) FILTER (WHERE kase = 'forward') AS fwd,
            count(*) FILTER (WHERE kase = 'backfill') AS back,
            count(*) FILTER (WHERE kase IN ('stale', 'revive')) AS stale,
            count(*) FILTER (WHERE kase = 'delete') AS del,
            count(*) FILTER (WHERE kase = 'ignored_delete') AS ign,
            count(DISTINCT acct) FILTER (WHERE kase = 'new') AS new_acc,
            count(DISTINCT acct) AS accounts,
            count(DISTINCT acct) FILTER (WHERE fast) AS fast_acc,
            count(*) FILTER (WHERE kase <> 'stale' AND row_exists AND NOT had_row) AS inserts
     FROM ${p.work}`,
  );
  const months = await queryRows(
    conn,
    `SELECT mi, count(*) AS n,
            count(*) FILTER (WHERE kase = 'new') AS a, count(*) FILTER (WHERE kase = 'forward') AS b,
            count(*) FILTER (WHERE kase = 'backfill') AS c, count(*) FILTER (WHERE kase IN ('delete', 'ignored_delete')) AS d,
            count(*) FILTER (WHERE kase IN ('stale', 'revive')) AS e
     FROM ${p.work} GROUP BY mi ORDER BY mi`,
  );
  // rows of full-path accounts that already exist in the window a change reaches
  const rewrite = await queryOne(
    conn,
    `WITH f AS (SELECT acct, min(mi) AS lo, max(mi) + ${L - 1} AS hi FROM ${p.work} WHERE NOT fast AND kase <> 'stale' GROUP BY acct)
     SELECT count(*) AS n FROM __sp_srows s JOIN f ON s.acct = f.acct AND s.mi BETWEEN f.lo AND f.hi`,
  );
  const buckets = await queryRows(
    conn,
    `SELECT bucket, count(*) AS records, count(DISTINCT acct) AS accounts FROM ${p.work} GROUP BY bucket ORDER BY bucket`,
  );
  await execute(conn, "DROP TABLE IF EXISTS __sp_srows");
  const n = (v: unknown) => Number(v ?? 0);
  const accounts = n(c?.accounts);
  return {
    runId: p.runId,
    mode: p.mode,
    input: p.input,
    counts: {
      read: p.read,
      quarantined: p.quarantined,
      duplicates: p.duplicates,
      equalTimestampConflicts: p.equalTimestampConflicts,
      newAccountRecords: n(c?.new_rec),
      forwardRecords: n(c?.fwd),
      backfillRecords: n(c?.back),
      staleRecords: n(c?.stale),
      deleteRecords: n(c?.del),
      ignoredDeletes: n(c?.ign),
      newAccounts: n(c?.new_acc),
    },
    accounts: { total: accounts, fast: n(c?.fast_acc), full: accounts - n(c?.fast_acc) },
    months: months.map((m) => ({
      month: formatMonthIndex(n(m.mi)),
      records: n(m.n),
      newAccount: n(m.a),
      forward: n(m.b),
      backfill: n(m.c),
      delete: n(m.d),
      stale: n(m.e),
    })),
    rowsToWrite: { insert: n(c?.inserts), rewrite: n(rewrite?.n) },
    buckets: {
      count: p.bucketCount,
      rows: buckets.map((b) => ({ bucket: n(b.bucket), records: n(b.records), accounts: n(b.accounts) })),
    },
  };
}
