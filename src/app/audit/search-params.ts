// The audit explorer's state lives in the URL: run, type (repeated), level (repeated), from, to
// (UTC, `2026-03-01T10:00` or full ISO), q (free text) and page. The page and the CSV route parse
// the same parameters with this schema, so an "Export CSV" link exports what the table shows.
import { z } from "zod";
import { AUDIT_LEVELS, MAX_AUDIT_TEXT, type AuditFiltersInput, type AuditQueryInput } from "@/server/api/schemas/audit";

export const AUDIT_PAGE_SIZE = 50;

/** One value or several (`?type=a&type=b`, also `?type=a,b`), as a clean list. */
const stringList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    (v === undefined ? [] : Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const single = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined);

const INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A point in time from a URL value. Without a zone it is UTC (the page shows UTC throughout). As the
 * end of a range it covers the whole of its precision: `to=2026-03-01T10:00` includes 10:00:59.
 */
export function parseInstant(value: string, end: "start" | "end"): Date | null {
  const m = INSTANT.exec(value);
  if (!m) return null;
  const [, day = "", hm, sec, zone] = m;
  // Date.parse rolls 2026-02-30 over to March; a calendar day must exist as written
  const [y, mo, d] = day.split("-").map(Number);
  const calendar = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1));
  if (calendar.toISOString().slice(0, 10) !== day) return null;
  const iso = `${day}T${hm ?? "00:00"}${sec ?? ":00"}${zone ?? "Z"}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  if (end === "start") return new Date(t);
  const span = hm === undefined ? 86_400_000 : sec === undefined ? 60_000 : sec.includes(".") ? 1 : 1000;
  return new Date(t + span - 1);
}

const instant = single.refine((v) => v === undefined || parseInstant(v, "start") !== null, {
  message: "must be a time such as 2026-03-01T10:00 (UTC) or an ISO timestamp",
});

export const auditSearchSchema = z.object({
  run: single.pipe(z.string().max(64).optional()),
  type: stringList.pipe(z.array(z.string().max(100)).max(50)),
  level: stringList.pipe(z.array(z.enum(AUDIT_LEVELS)).max(AUDIT_LEVELS.length)),
  from: instant,
  to: instant,
  q: single.pipe(z.string().max(MAX_AUDIT_TEXT).optional()),
  page: single.pipe(
    z
      .string()
      .regex(/^\d{1,7}$/, "must be a page number")
      .transform(Number)
      .pipe(z.number().int().min(1))
      .optional(),
  ),
});

export type AuditSearch = z.output<typeof auditSearchSchema>;
export type AuditSearchKey = keyof AuditSearch;

type RawParams = Record<string, string | string[] | undefined>;

export function rawParamsOf(params: URLSearchParams | RawParams): RawParams {
  if (!(params instanceof URLSearchParams)) return params;
  const out: RawParams = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** Strict parsing (the CSV route): any invalid parameter is an error. */
export function parseAuditSearchStrict(params: URLSearchParams | RawParams) {
  return auditSearchSchema.safeParse(rawParamsOf(params));
}

/**
 * Lenient parsing (the page): an invalid parameter is dropped and named, so a hand-edited URL
 * still shows the trail.
 */
export function parseAuditSearch(params: URLSearchParams | RawParams): { search: AuditSearch; invalid: AuditSearchKey[] } {
  const raw = rawParamsOf(params);
  const whole = auditSearchSchema.safeParse(raw);
  if (whole.success) return { search: whole.data, invalid: [] };
  const invalid = new Set<AuditSearchKey>();
  for (const issue of whole.error.issues) {
    const key = issue.path[0];
    if (typeof key === "string" && key in auditSearchSchema.shape) invalid.add(key as AuditSearchKey);
  }
  const cleaned: RawParams = { ...raw };
  for (const key of invalid) delete cleaned[key];
  return { search: auditSearchSchema.parse(cleaned), invalid: [...invalid] };
}

/** The service filters a search stands for. */
export function auditFiltersOf(search: AuditSearch): AuditFiltersInput {
  return {
    runId: search.run,
    types: search.type.length > 0 ? search.type : undefined,
    levels: search.level.length > 0 ? search.level : undefined,
    from: search.from ? (parseInstant(search.from, "start") ?? undefined) : undefined,
    to: search.to ? (parseInstant(search.to, "end") ?? undefined) : undefined,
    text: search.q,
  };
}

/** The audit.list input of a search: the server prefetch and the client build the same one. */
export function auditListInput(search: AuditSearch): AuditQueryInput {
  return { ...auditFiltersOf(search), page: search.page ?? 1, pageSize: AUDIT_PAGE_SIZE };
}

/** Whether any filter (not the page) is set. */
export function hasAuditFilters(search: AuditSearch): boolean {
  return Boolean(search.run || search.type.length || search.level.length || search.from || search.to || search.q);
}

/** The query string of a search (without `?`), omitting empty values and page 1. */
export function auditSearchString(search: Partial<AuditSearch>): string {
  const p = new URLSearchParams();
  if (search.run) p.set("run", search.run);
  for (const t of search.type ?? []) p.append("type", t);
  for (const l of search.level ?? []) p.append("level", l);
  if (search.from) p.set("from", search.from);
  if (search.to) p.set("to", search.to);
  if (search.q) p.set("q", search.q);
  if (search.page && search.page > 1) p.set("page", String(search.page));
  return p.toString();
}
