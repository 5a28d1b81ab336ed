// Reading the audit trail (SPEC §8): filtered, paginated newest first, and exported as CSV.
// The trail is append-only: this module only reads, and nothing in the dashboard updates or deletes events.
//
// Filters are SQL built with Prisma.sql (values bound, never spliced): Prisma's `contains` is a LIKE
// on SQLite with no escape clause, so a search for "100%" or "input_rows" would treat % and _ as
// wildcards; here the text's own %, _ and \ are escaped, so it matches literally, and the same SQL
// runs on SQLite and PostgreSQL.
import { stringify } from "csv-stringify/sync";
import type { ControlDb } from "@/control/db";
import { Prisma } from "@/generated/prisma/client";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../api/schemas/audit";

export interface AuditFilters {
  runId?: string;
  types?: string[];
  levels?: string[];
  /** Inclusive. */
  from?: Date;
  /** Inclusive. */
  to?: Date;
  /** Matched literally, ignoring ASCII case, against message, type, actor, run id and data. */
  text?: string;
}

export interface AuditQuery extends AuditFilters {
  /** 1-based; clamped to the last page. */
  page?: number;
  /** At most MAX_PAGE_SIZE. */
  pageSize?: number;
}

export interface AuditEventRow {
  id: number;
  ts: Date;
  runId: string | null;
  type: string;
  level: string;
  actor: string | null;
  message: string;
  data: string | null;
}

export interface AuditPage {
  events: AuditEventRow[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
}

/**
 * The WHERE condition of a set of filters (TRUE when there are none). Times are compared as the
 * text Prisma stores (`2026-03-01T00:00:00.000+00:00`), which it also binds a Date as, so the
 * comparison is chronological and the ts index is used.
 */
export function auditWhereSql(filters: AuditFilters): Prisma.Sql {
  const and: Prisma.Sql[] = [];
  if (filters.runId) and.push(Prisma.sql`"runId" = ${filters.runId}`);
  if (filters.types && filters.types.length > 0) and.push(Prisma.sql`"type" IN (${Prisma.join(filters.types)})`);
  if (filters.levels && filters.levels.length > 0) and.push(Prisma.sql`"level" IN (${Prisma.join(filters.levels)})`);
  if (filters.from) and.push(Prisma.sql`"ts" >= ${filters.from}`);
  if (filters.to) and.push(Prisma.sql`"ts" <= ${filters.to}`);
  const text = filters.text?.trim().toLowerCase();
  if (text) {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const fields = ["message", "type", "actor", "runId", "data"].map((f) => Prisma.raw(`lower(COALESCE("${f}", ''))`));
    and.push(Prisma.sql`(${Prisma.join(fields.map((f) => Prisma.sql`${f} LIKE ${pattern} ESCAPE '\\'`), " OR ")})`);
  }
  return and.length > 0 ? Prisma.join(and, " AND ") : Prisma.sql`1 = 1`;
}

interface RawEvent extends Omit<AuditEventRow, "id"> {
  id: number | bigint;
}

const SELECT_EVENTS = Prisma.sql`SELECT "id", "ts", "runId", "type", "level", "actor", "message", "data" FROM "AuditEvent"`;
// id breaks ties between events written in the same millisecond, keeping the order stable across pages
const NEWEST_FIRST = Prisma.sql`ORDER BY "ts" DESC, "id" DESC`;

async function selectEvents(db: ControlDb, where: Prisma.Sql, tail: Prisma.Sql): Promise<AuditEventRow[]> {
  const rows = await db.$queryRaw<RawEvent[]>`${SELECT_EVENTS} WHERE ${where} ${tail}`;
  return rows.map((r) => ({ ...r, id: Number(r.id), ts: r.ts instanceof Date ? r.ts : new Date(r.ts) }));
}

export async function queryAudit(db: ControlDb, query: AuditQuery = {}): Promise<AuditPage> {
  const pageSize = Math.min(Math.max(Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
  const where = auditWhereSql(query);
  const [counted] = await db.$queryRaw<{ n: number | bigint }[]>`SELECT COUNT(*) AS n FROM "AuditEvent" WHERE ${where}`;
  const total = Number(counted?.n ?? 0);
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(Math.trunc(query.page ?? 1), 1), pageCount);
  const events = await selectEvents(db, where, Prisma.sql`${NEWEST_FIRST} LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`);
  return { events, total, page, pageSize, pageCount };
}

export interface AuditTypeCount {
  type: string;
  count: number;
}

/** The event types present in the trail, for the type filter. */
export async function auditTypes(db: ControlDb): Promise<AuditTypeCount[]> {
  const groups = await db.auditEvent.groupBy({ by: ["type"], _count: { _all: true }, orderBy: { type: "asc" } });
  return groups.map((g) => ({ type: g.type, count: g._count._all }));
}

export const AUDIT_CSV_COLUMNS = ["id", "ts", "runId", "type", "level", "actor", "message", "data"] as const;

/**
 * Every event matching the filters as CSV (header first, newest first), quoted where needed.
 * Values are exported as stored, not defused for spreadsheets: this is the record, verbatim.
 */
export async function exportAuditCsv(db: ControlDb, filters: AuditFilters = {}, opts: { chunkSize?: number } = {}): Promise<string> {
  const chunkSize = opts.chunkSize ?? 5000;
  const where = auditWhereSql(filters);
  const rows: (string | number)[][] = [];
  // read in chunks so a large trail does not hold one huge result set in the driver; keyset (not
  // offset) paging, so events appended meanwhile neither repeat nor shift rows
  let after: { ts: Date; id: number } | undefined;
  for (;;) {
    const keyset = after ? Prisma.sql`AND ("ts" < ${after.ts} OR ("ts" = ${after.ts} AND "id" < ${after.id}))` : Prisma.empty;
    const chunk = await selectEvents(db, Prisma.sql`(${where}) ${keyset}`, Prisma.sql`${NEWEST_FIRST} LIMIT ${chunkSize}`);
    for (const e of chunk) {
      rows.push([e.id, e.ts.toISOString(), e.runId ?? "", e.type, e.level, e.actor ?? "", e.message, e.data ?? ""]);
    }
    const last = chunk.at(-1);
    if (chunk.length < chunkSize || !last) break;
    after = { ts: last.ts, id: last.id };
  }
  return stringify(rows, { header: true, columns: [...AUDIT_CSV_COLUMNS], eof: true });
}
