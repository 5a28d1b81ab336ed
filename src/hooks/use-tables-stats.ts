"use client";
// Table, partition and run statistics of the engine database, refreshed while the page is open.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";

export const TABLES_REFRESH_MS = 30_000;

export function useTablesStats() {
  const trpc = useTRPC();
  return useQuery(trpc.tables.stats.queryOptions(undefined, { refetchInterval: TABLES_REFRESH_MS }));
}
