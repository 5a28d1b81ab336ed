"use client";
// Runs: the list and the active run (polled fast while a run is going), one run's detail, and the
// operator's mutations, which refresh every runs query when they succeed.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { RUNS_LIST_INPUT } from "./runs-query-inputs";

/** Polling while a run is active, and the slower poll that notices a run started elsewhere (CLI). */
export const ACTIVE_POLL_MS = 1_000;
export const IDLE_POLL_MS = 10_000;

type Pollable = { status: string } | null | undefined;

function isGoing(run: Pollable): boolean {
  return run?.status === "running" || run?.status === "queued";
}

export function useActiveRun() {
  const trpc = useTRPC();
  return useQuery(
    trpc.runs.active.queryOptions(undefined, {
      refetchInterval: (q) => (isGoing(q.state.data) ? ACTIVE_POLL_MS : IDLE_POLL_MS),
    }),
  );
}

export function useRunsList(input: { limit: number } = RUNS_LIST_INPUT) {
  const trpc = useTRPC();
  return useQuery(
    trpc.runs.list.queryOptions(input, {
      refetchInterval: (q) => (q.state.data?.some(isGoing) ? ACTIVE_POLL_MS : IDLE_POLL_MS),
    }),
  );
}

export function useRun(id: string) {
  const trpc = useTRPC();
  return useQuery(
    trpc.runs.get.queryOptions(
      { id },
      { refetchInterval: (q) => (isGoing(q.state.data) || q.state.data?.live ? ACTIVE_POLL_MS : false), retry: false },
    ),
  );
}

function useRefreshRuns() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
}

export function useLaunchRun() {
  const trpc = useTRPC();
  const refresh = useRefreshRuns();
  return useMutation(trpc.runs.launch.mutationOptions({ onSuccess: (out) => (out.dryRun ? undefined : refresh()) }));
}

export function useCancelRun() {
  const trpc = useTRPC();
  const refresh = useRefreshRuns();
  // refused or not, the run may have moved on: show it as it is now
  return useMutation(trpc.runs.cancel.mutationOptions({ onSettled: () => refresh() }));
}

export function useResumeRun() {
  const trpc = useTRPC();
  const refresh = useRefreshRuns();
  return useMutation(trpc.runs.resume.mutationOptions({ onSettled: () => refresh() }));
}

/**
 * A rollback changes the engine's tables as well as the runs: every query on the page is stale.
 * So is a refused one (another tab or process rolled back or ran meanwhile): the page shows why,
 * then what holds now.
 */
export function useRollbackRun() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(trpc.runs.rollback.mutationOptions({ onSettled: () => queryClient.invalidateQueries() }));
}
