// The config editor's API: versions and validation for everyone; saving and activating a version
// for operators only.
import { TRPCError } from "@trpc/server";
import { openEngine, type Engine } from "@/pipeline/engine/duckdb";
import {
  activateVersion,
  activeConfig,
  getVersion,
  listVersions,
  saveVersion,
  validateConfig,
} from "@/server/services/config-versions";
import { configTextInput, configVersionIdInput, saveConfigInput } from "../schemas/config";
import { createTRPCRouter, operatorProcedure, publicProcedure, type TRPCContext } from "../trpc";

/**
 * The engine that checks expressions: the configured one (which knows the source table's columns);
 * an in-memory engine when the config in place is itself broken, so a fix can still be validated.
 */
async function validationEngine(ctx: TRPCContext): Promise<Engine> {
  try {
    return (await ctx.engineHost()).engine;
  } catch {
    return openEngine({ database: ":memory:" });
  }
}

export const configRouter = createTRPCRouter({
  versions: publicProcedure.query(({ ctx }) => listVersions(ctx.controlDb().client)),
  version: publicProcedure.input(configVersionIdInput).query(async ({ ctx, input }) => {
    const version = await getVersion(ctx.controlDb().client, input.id);
    if (!version) throw new TRPCError({ code: "NOT_FOUND", message: `there is no config version ${input.id}` });
    return version;
  }),
  active: publicProcedure.query(({ ctx }) => activeConfig(ctx.controlDb().client)),
  validate: publicProcedure
    .input(configTextInput)
    .query(async ({ ctx, input }) => validateConfig(await validationEngine(ctx), input.text)),
  save: operatorProcedure.input(saveConfigInput).mutation(async ({ ctx, input }) =>
    saveVersion(ctx.controlDb().client, await validationEngine(ctx), {
      text: input.text,
      comment: input.comment,
      author: "operator",
    }),
  ),
  activate: operatorProcedure
    .input(configVersionIdInput)
    .mutation(({ ctx, input }) => activateVersion(ctx.controlDb().client, { id: input.id, actor: "operator" })),
});
