// The inspector's URL state: `?account=<key>` (validated like the API's input) and `?month=YYYY-MM`
// (the summary row whose arrays are shown; the latest row when absent). Pure zod: the server page
// and the client both parse with it.
import { z } from "zod";
import { accountKey } from "@/server/api/schemas/inspector";

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

export interface InspectorSearchParams {
  /** The account key to inspect, trimmed; null when none was given or it is invalid. */
  account: string | null;
  /** Why the given key was refused before asking the server. */
  accountError: string | null;
  month: string | null;
}

type RawParams = Record<string, string | string[] | undefined> | URLSearchParams;

function first(raw: RawParams, key: string): string | undefined {
  if (raw instanceof URLSearchParams) return raw.get(key) ?? undefined;
  const v = raw[key];
  return Array.isArray(v) ? v[0] : v;
}

export function parseInspectorSearchParams(raw: RawParams): InspectorSearchParams {
  const rawAccount = first(raw, "account");
  const rawMonth = first(raw, "month");
  const m = month.safeParse(rawMonth);
  const base = { month: m.success ? m.data : null };
  if (rawAccount === undefined || rawAccount.trim() === "") return { ...base, account: null, accountError: null };
  const a = accountKey.safeParse(rawAccount);
  return a.success
    ? { ...base, account: a.data, accountError: null }
    : { ...base, account: null, accountError: a.error.issues[0]?.message ?? "not a valid account key" };
}

/** The inspector's URL for an account (and optionally one of its months). */
export function inspectorHref(account: string, selectedMonth?: string | null): string {
  const q = new URLSearchParams({ account });
  if (selectedMonth) q.set("month", selectedMonth);
  return `/inspector?${q.toString()}`;
}
