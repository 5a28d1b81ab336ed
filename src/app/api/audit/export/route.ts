// CSV download of the audit trail: GET with the audit page's search parameters (run, type, level,
// from, to, q), validated by the same schema; answers 400 naming the parameter that is wrong.
import { openControlDb } from "@/control/db";
import { formatPath } from "@/pipeline/config/schema";
import { exportAuditCsv } from "@/server/services/audit";
import { auditFiltersOf, parseAuditSearchStrict } from "@/app/audit/search-params";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** `audit-20260301T101500Z.csv`: sortable, and safe in a header value. */
function fileName(now: Date): string {
  return `audit-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "")}.csv`;
}

export async function GET(req: Request): Promise<Response> {
  const parsed = parseAuditSearchStrict(new URL(req.url).searchParams);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    return Response.json({ error: "invalid audit filters", issues }, { status: 400 });
  }
  const csv = await exportAuditCsv(openControlDb().client, auditFiltersOf(parsed.data));
  return new Response(csv, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${fileName(new Date())}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
