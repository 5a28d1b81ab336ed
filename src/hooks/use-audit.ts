"use client";
// The audit trail for the explorer: one page of events for the current filters (the previous page
// stays on screen while the next loads), and the event types present, for the type filter.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { AuditQueryInput } from "@/server/api/schemas/audit";
import { useTRPC } from "@/trpc/client";

export function useAuditEvents(input: AuditQueryInput) {
  const trpc = useTRPC();
  return useQuery(trpc.audit.list.queryOptions(input, { placeholderData: keepPreviousData }));
}

export function useAuditTypes() {
  const trpc = useTRPC();
  return useQuery(trpc.audit.types.queryOptions(undefined, { staleTime: 60_000 }));
}
