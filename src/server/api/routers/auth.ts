// Who the caller is: the role its session (or token header) gives it.
import { createTRPCRouter, publicProcedure } from "../trpc";

export const authRouter = createTRPCRouter({
  whoami: publicProcedure.query(({ ctx }) => ({
    role: ctx.role,
    /** A token was presented but is not the operator's (a stale session after a token change). */
    tokenRejected: ctx.tokenPresented && ctx.role !== "operator",
  })),
});
