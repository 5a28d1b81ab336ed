// Partitions & tables: statistics of the engine's tables, partitions, NULL density and recent runs.
import { readTablesStats } from "@/server/services/tables";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const tablesRouter = createTRPCRouter({
  stats: publicProcedure.query(({ ctx }) => readTablesStats(ctx.engineHost)),
});
