"use client";
// The caller's role (viewer or operator) and the operator sign-in/out through /api/session.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "@/trpc/client";

export function useRole() {
  const trpc = useTRPC();
  const whoami = useQuery(trpc.auth.whoami.queryOptions(undefined, { staleTime: 60_000 }));
  return {
    role: whoami.data?.role ?? "viewer",
    isOperator: whoami.data?.role === "operator",
    /** A token is held that the server does not accept (it changed since sign-in). */
    tokenRejected: whoami.data?.tokenRejected ?? false,
    isPending: whoami.isPending,
  };
}

async function sessionRequest(method: "POST" | "DELETE", body?: unknown): Promise<void> {
  const res = await fetch("/api/session", {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? "{}" : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!res.ok) {
    let message = `sign-in failed (HTTP ${res.status})`;
    try {
      const data = (await res.json()) as { error?: unknown };
      if (typeof data.error === "string") message = data.error;
    } catch {
      // keep the status line: the body was not JSON
    }
    throw new Error(message);
  }
}

/** Sign in with the operator token, or sign out; every query is refetched with the new role. */
export function useSession() {
  const queryClient = useQueryClient();
  const signIn = useCallback(
    async (token: string) => {
      await sessionRequest("POST", { token });
      await queryClient.invalidateQueries();
    },
    [queryClient],
  );
  const signOut = useCallback(async () => {
    await sessionRequest("DELETE");
    await queryClient.invalidateQueries();
  }, [queryClient]);
  return { signIn, signOut };
}
