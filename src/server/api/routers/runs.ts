// Runs: the list, one run's detail, the active run; launching, cancelling, resuming and rolling
// back (operators).
import { TRPCError } from "@trpc/server";
import { activeRun, cancelRun, getRun, launchRun, listRuns, resumeRun, rollbackRun, type RunsDeps } from "@/server/services/runs";
import { launchRunInput, listRunsInput, rollbackRunInput, runIdInput } from "../schemas/runs";
import { createTRPCRouter, operatorProcedure, publicProcedure, type TRPCContext } from "../trpc";

function depsOf(ctx: TRPCContext): RunsDeps {
  return { controlDb: ctx.controlDb };
}

/** The operator is anonymous (one shared token); the audit trail says it came from the dashboard. */
const DASHBOARD_ACTOR = "operator (dashboard)";

function notFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `no run ${id}` });
}

export const runsRouter = createTRPCRouter({
  list: publicProcedure.input(listRunsInput).query(({ ctx, input }) => listRuns(depsOf(ctx), input)),

  get: publicProcedure.input(runIdInput).query(async ({ ctx, input }) => {
    const run = await getRun(depsOf(ctx), input.id);
    if (!run) throw notFound(input.id);
    return run;
  }),

  active: publicProcedure.query(({ ctx }) => activeRun(depsOf(ctx))),

  launch: operatorProcedure
    .input(launchRunInput)
    .mutation(({ ctx, input }) => launchRun(depsOf(ctx), { ...input, actor: DASHBOARD_ACTOR })),

  cancel: operatorProcedure.input(runIdInput).mutation(async ({ ctx, input }) => {
    const r = await cancelRun(depsOf(ctx), { runId: input.id, actor: DASHBOARD_ACTOR });
    if (!r) throw notFound(input.id);
    return r;
  }),

  resume: operatorProcedure.input(runIdInput).mutation(async ({ ctx, input }) => {
    const r = await resumeRun(depsOf(ctx), { runId: input.id, actor: DASHBOARD_ACTOR });
    if (!r) throw notFound(input.id);
    return r;
  }),

  // the engine knows which runs exist and can be undone (also CLI runs): its refusal is the answer
  rollback: operatorProcedure
    .input(rollbackRunInput)
    .mutation(({ ctx, input }) => rollbackRun(depsOf(ctx), { runId: input.runId, actor: DASHBOARD_ACTOR })),
});
