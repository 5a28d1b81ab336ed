"use client";
// One account's summary rows and provenance. The page prefetches on the server; a key the server
// already refused is not asked again (no failed request, no console noise).
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";

export function useAccountHistory(account: string | null, opts: { enabled: boolean }) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.inspector.account.queryOptions({ account: account ?? "" }),
    enabled: account !== null && opts.enabled,
    retry: false,
  });
}
