"use client";
// Health of the backend, polled while the page is open.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";

export const HEALTH_REFRESH_MS = 15_000;

export function useHealth() {
  const trpc = useTRPC();
  return useQuery(trpc.health.check.queryOptions(undefined, { refetchInterval: HEALTH_REFRESH_MS }));
}
