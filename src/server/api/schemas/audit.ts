// Inputs of the audit explorer: the filters of the trail, shared by the router, the CSV route and the
// page's search params. Pure zod, so client components may import it.
import { z } from "zod";

export const AUDIT_LEVELS = ["info", "warn", "error"] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_AUDIT_TEXT = 200;

export const auditFiltersInput = z.object({
  runId: z.string().trim().min(1).max(64).optional(),
  types: z.array(z.string().min(1).max(100)).max(50).optional(),
  levels: z.array(z.enum(AUDIT_LEVELS)).max(AUDIT_LEVELS.length).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  text: z.string().max(MAX_AUDIT_TEXT).optional(),
});

export const auditQueryInput = auditFiltersInput.extend({
  page: z.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

export type AuditFiltersInput = z.infer<typeof auditFiltersInput>;
export type AuditQueryInput = z.input<typeof auditQueryInput>;
