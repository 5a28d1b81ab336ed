// Account inspector: one account's summary rows and where each month came from. A key the table
// cannot hold (text for a BIGINT key) is the engine's USAGE error, answered as BAD_REQUEST.
import { readAccount } from "@/server/services/inspector";
import { inspectAccountInput } from "../schemas/inspector";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const inspectorRouter = createTRPCRouter({
  account: publicProcedure.input(inspectAccountInput).query(({ ctx, input }) => readAccount(ctx.engineHost, input.account)),
});
