// tRPC setup: the request context, the tRPC instance (superjson, zod-aware error shape) and the
// procedure builders routers use. Domain errors of the engine are mapped to tRPC codes here, once.
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { openControlDb, type ControlDbHandle } from "@/control/db";
import { PipelineError, type ErrorIssue, type PipelineErrorCode } from "@/pipeline/errors";
import { principalOf, type Role } from "../auth";
import { getEngineHost, type EngineHost } from "../engine";

export interface TRPCContext {
  headers: Headers;
  role: Role;
  /** A token was presented (a wrong one makes the caller a viewer). */
  tokenPresented: boolean;
  /** Opened on first use, so a broken database fails the procedures that need it, not every request. */
  controlDb: () => ControlDbHandle;
  engineHost: () => Promise<EngineHost>;
}

export async function createTRPCContext(opts: { headers: Headers }): Promise<TRPCContext> {
  const principal = principalOf(opts.headers);
  return { headers: opts.headers, ...principal, controlDb: () => openControlDb(), engineHost: getEngineHost };
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
        pipelineError: cause instanceof PipelineError ? describePipelineError(cause) : null,
      },
    };
  },
});

function describePipelineError(err: PipelineError): { code: PipelineErrorCode; where: string | null; issues: ErrorIssue[] } {
  return { code: err.code, where: err.where ?? null, issues: err.issues };
}

const trpcCodeOf: Record<PipelineErrorCode, TRPC_ERROR_CODE_KEY> = {
  CONFIG_INVALID: "BAD_REQUEST",
  USAGE: "BAD_REQUEST",
  SOURCE: "INTERNAL_SERVER_ERROR",
  ENGINE: "INTERNAL_SERVER_ERROR",
  LOCKED: "CONFLICT",
  RUN_STATE: "PRECONDITION_FAILED",
  INVARIANT: "INTERNAL_SERVER_ERROR",
  CANCELLED: "CLIENT_CLOSED_REQUEST",
  NOT_AVAILABLE: "NOT_IMPLEMENTED",
};

const pipelineErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && result.error.cause instanceof PipelineError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeOf[cause.code], message: cause.message, cause });
  }
  return result;
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure.use(pipelineErrors);

/** Mutations: the operator role only; a denial is written to the audit trail. */
export const operatorProcedure = publicProcedure.use(async ({ ctx, path, next }) => {
  if (ctx.role !== "operator") {
    const reason = ctx.tokenPresented ? "a wrong operator token" : "no operator token";
    try {
      await ctx.controlDb().client.auditEvent.create({
        data: { type: "auth.denied", level: "warn", actor: "viewer", message: `denied ${path}: ${reason}`, data: JSON.stringify({ path }) },
      });
    } catch (err) {
      console.error("could not audit a denial:", err);
    }
    throw new TRPCError({ code: "FORBIDDEN", message: `${path} needs the operator role (${reason})` });
  }
  return next();
});
