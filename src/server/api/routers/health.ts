// Is the dashboard's backend able to work: engine, control database, versions.
import { checkHealth } from "@/server/services/health";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const healthRouter = createTRPCRouter({
  check: publicProcedure.query(({ ctx }) => checkHealth({ engineHost: ctx.engineHost, controlDb: ctx.controlDb })),
});
