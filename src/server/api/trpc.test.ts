import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PipelineError } from "@/pipeline/errors";
import { createCallerFactory, createTRPCRouter, publicProcedure, type TRPCContext } from "./trpc";

const router = createTRPCRouter({
  locked: publicProcedure.query(() => {
    throw new PipelineError("LOCKED", "run 0a1b2c3d holds the engine database", { where: "data/summary.duckdb" });
  }),
  crash: publicProcedure.query(() => {
    throw new Error("boom");
  }),
  echo: publicProcedure.input(z.object({ n: z.number().int() })).query(({ input }) => input.n),
});

const ctx: TRPCContext = {
  headers: new Headers(),
  role: "viewer",
  tokenPresented: false,
  controlDb: () => {
    throw new Error("not used");
  },
  engineHost: () => Promise.reject(new Error("not used")),
};
const caller = createCallerFactory(router)(ctx);

async function errorOf(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("procedure errors", () => {
  it("maps a pipeline error to its tRPC code and keeps it as the cause", async () => {
    const err = await errorOf(caller.locked());
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toBe("run 0a1b2c3d holds the engine database");
    expect(err.cause).toBeInstanceOf(PipelineError);
  });

  it("leaves other errors internal", async () => {
    const err = await errorOf(caller.crash());
    expect(err.code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("rejects bad input with the zod error as the cause", async () => {
    const err = await errorOf(caller.echo({ n: 1.5 }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.cause).toBeInstanceOf(z.ZodError);
  });
});
