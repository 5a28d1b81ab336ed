// Inputs of the runs router: what a browser may ask for, validated before it reaches the executor.
import { z } from "zod";
import { RUN_STATUSES } from "@/server/services/runs";

/** A run id: 8 lowercase hex characters (SPEC §7). */
export const runIdSchema = z.string().regex(/^[0-9a-f]{8}$/, "a run id is 8 lowercase hex characters");

export const runIdInput = z.object({ id: runIdSchema });

export const rollbackRunInput = z.object({ runId: runIdSchema });
export type RollbackRunInput = z.input<typeof rollbackRunInput>;

export const listRunsInput = z.object({
  limit: z.number().int().min(1).max(200).default(20),
  status: z.enum(RUN_STATUSES).optional(),
});
export type ListRunsInput = z.input<typeof listRunsInput>;

export const launchRunInput = z.object({
  mode: z.enum(["initial", "incremental"]).default("incremental"),
  dryRun: z.boolean().default(false),
});
export type LaunchRunInput = z.input<typeof launchRunInput>;
