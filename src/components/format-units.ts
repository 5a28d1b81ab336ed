// Number formatting for the dashboard, with a fixed locale so the server render and the browser
// agree (a hydration mismatch otherwise).
const LOCALE = "en-US";
const counts = new Intl.NumberFormat(LOCALE);
const compact = new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 });

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : counts.format(n);
}

/** 1234 → "1.2K": for cells too small for the full figure. */
export function formatCompact(n: number): string {
  return compact.format(n);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)}%`;
}

/** An engine timestamp ("2024-05-01 12:00:00.123") shown to the second. */
export function formatTimestamp(ts: string | null | undefined): string {
  return ts ? ts.replace("T", " ").slice(0, 19) : "—";
}
