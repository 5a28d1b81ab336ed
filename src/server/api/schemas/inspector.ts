// Input of the account inspector, shared by the router and the page's search params. Pure zod, so
// client components may import it.
import { z } from "zod";

export const MAX_ACCOUNT_KEY = 200;

export const accountKey = z
  .string()
  .trim()
  .min(1, "enter an account key")
  .max(MAX_ACCOUNT_KEY, `an account key has at most ${MAX_ACCOUNT_KEY} characters`);

export const inspectAccountInput = z.object({ account: accountKey });

export type InspectAccountInput = z.infer<typeof inspectAccountInput>;
