// A plain reference implementation of SPEC §3, written from the formulas and nothing else:
// de-duplicate all records ever ingested, then compute every summary row directly. Tests compare
// the engine's tables with it.

export interface RefRecord {
  acct: string;
  /** Month index (year * 12 + month - 1). */
  mi: number;
  /** base_ts in whole seconds. */
  ts: number;
  stat: string | null;
  typ: string | null;
  balance: number | null;
  rating: string | null;
  limit: number | null;
}

export interface RefConfig {
  deleteValues: string[];
  /** history lengths of the three rolling columns: balance, rating, limit */
  lengths: { balance: number; rating: number; limit: number };
  placeholder: string;
}

export interface RefRow {
  acct: string;
  mi: number;
  ts: number;
  typ: string | null;
  stat: string | null;
  balance: (number | null)[];
  rating: (string | null)[];
  limit: (number | null)[];
  grid: string;
}

// the mappers of the test config, in plain code
const mapBalance = (r: RefRecord) => r.balance ?? 0; // COALESCE(balance_am, 0)
const mapRating = (r: RefRecord) => (r.rating === null ? null : r.rating.trim().toUpperCase()); // upper(trim(x))
const mapLimit = (r: RefRecord) => (r.limit === -1 ? null : r.limit); // sentinel -1 → NULL

export function referenceTables(batches: RefRecord[][], cfg: RefConfig): { summary: RefRow[]; latest: RefRow[] } {
  // V: the winner per (account, month): greatest ts, then later batch, then later position
  const V = new Map<string, { rec: RefRecord; key: [number, number, number] }>();
  const everLive = new Set<string>();
  const isTomb = (r: RefRecord) => r.stat !== null && cfg.deleteValues.includes(r.stat);
  batches.forEach((batch, b) => {
    batch.forEach((rec, pos) => {
      const k = `${rec.acct}|${rec.mi}`;
      if (!isTomb(rec)) everLive.add(k);
      const key: [number, number, number] = [rec.ts, b, pos];
      const cur = V.get(k);
      if (!cur || compare(key, cur.key) > 0) V.set(k, { rec, key });
    });
  });
  const get = (acct: string, mi: number) => V.get(`${acct}|${mi}`)?.rec;
  const live = (acct: string, mi: number) => {
    const r = get(acct, mi);
    return r && !isTomb(r) ? r : undefined;
  };
  const L = Math.max(cfg.lengths.balance, cfg.lengths.rating, cfg.lengths.limit);
  const summary: RefRow[] = [];
  for (const k of [...everLive].sort()) {
    const [acct, miText] = k.split("|") as [string, string];
    const mi = Number(miText);
    const v = get(acct, mi);
    if (!v) throw new Error("ever-live key without a record");
    const hist = <T>(n: number, f: (r: RefRecord) => T | null) =>
      Array.from({ length: n }, (_, i) => {
        const r = live(acct, mi - i);
        return r ? f(r) : null;
      });
    let ts = -Infinity;
    for (let i = 0; i < L; i++) {
      const r = get(acct, mi - i);
      if (r) ts = Math.max(ts, r.ts);
    }
    const rating = hist(cfg.lengths.rating, mapRating);
    summary.push({
      acct,
      mi,
      ts,
      typ: v.typ,
      stat: v.stat,
      balance: hist(cfg.lengths.balance, mapBalance),
      rating,
      limit: hist(cfg.lengths.limit, mapLimit),
      // the placeholder for NULL, and for an empty string (no first character)
      grid: rating.map((x) => (x === null || x === "" ? cfg.placeholder : x.slice(0, 1))).join(""),
    });
  }
  const latest: RefRow[] = [];
  const byAcct = new Map<string, RefRow>();
  for (const row of summary) {
    if (!live(row.acct, row.mi)) continue;
    const cur = byAcct.get(row.acct);
    if (!cur || row.mi > cur.mi) byAcct.set(row.acct, row);
  }
  for (const a of [...byAcct.keys()].sort()) latest.push(byAcct.get(a) as RefRow);
  return { summary: sortRows(summary), latest };
}

export function sortRows(rows: RefRow[]): RefRow[] {
  return [...rows].sort((a, b) => (a.acct < b.acct ? -1 : a.acct > b.acct ? 1 : a.mi - b.mi));
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
