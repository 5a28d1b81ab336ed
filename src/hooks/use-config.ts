"use client";
// The config editor's data: versions, the active version (and the file on disk), one version's
// document and diff, the engine's checks of a draft, and the operator's save and activate, which
// refresh the versions and the audit trail when they succeed.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";

export function useConfigVersions() {
  const trpc = useTRPC();
  return useQuery(trpc.config.versions.queryOptions());
}

export function useActiveConfig() {
  const trpc = useTRPC();
  return useQuery(trpc.config.active.queryOptions());
}

export function useConfigVersion(id: number | null) {
  const trpc = useTRPC();
  return useQuery(trpc.config.version.queryOptions({ id: id ?? 0 }, { enabled: id !== null, staleTime: Infinity }));
}

/** The engine's validation of a draft (null: nothing to check yet). */
export function useConfigValidation(text: string | null) {
  const trpc = useTRPC();
  return useQuery(
    trpc.config.validate.queryOptions(
      { text: text ?? "" },
      { enabled: text !== null, staleTime: 60_000, placeholderData: keepPreviousData, retry: false },
    ),
  );
}

function useInvalidateConfig() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.config.versions.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.config.active.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() }),
    ]);
}

export function useSaveConfig() {
  const trpc = useTRPC();
  const invalidate = useInvalidateConfig();
  return useMutation(trpc.config.save.mutationOptions({ onSuccess: invalidate }));
}

export function useActivateConfig() {
  const trpc = useTRPC();
  const invalidate = useInvalidateConfig();
  return useMutation(trpc.config.activate.mutationOptions({ onSuccess: invalidate }));
}
