// Inputs of the config editor's procedures.
import { z } from "zod";

export const MAX_CONFIG_TEXT = 256 * 1024;
export const MAX_COMMENT = 500;

export const configTextInput = z.object({ text: z.string().max(MAX_CONFIG_TEXT) });
export const configVersionIdInput = z.object({ id: z.number().int().positive() });
export const saveConfigInput = z.object({
  text: z.string().max(MAX_CONFIG_TEXT),
  comment: z.string().max(MAX_COMMENT).optional(),
});
