// The audit explorer's API: reads only — the trail is append-only and has no mutations.
import { auditTypes, queryAudit } from "@/server/services/audit";
import { auditQueryInput } from "../schemas/audit";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  list: publicProcedure.input(auditQueryInput).query(({ ctx, input }) => queryAudit(ctx.controlDb().client, input)),
  types: publicProcedure.query(({ ctx }) => auditTypes(ctx.controlDb().client)),
});
