// Runs: launch (with a dry run first), watch the active run, cancel, resume, and the run history.
import { Flex, Heading, Text } from "@radix-ui/themes";
import type { Metadata } from "next";
import { connection } from "next/server";
import { RUNS_LIST_INPUT } from "@/hooks/runs-query-inputs";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { RunsPageClient } from "./client";

export const metadata: Metadata = { title: "Runs" };

export default async function RunsPage() {
  await connection();
  await Promise.all([
    prefetch(trpc.runs.list.queryOptions(RUNS_LIST_INPUT)),
    prefetch(trpc.runs.active.queryOptions()),
    prefetch(trpc.auth.whoami.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <Flex direction="column" gap="4">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Runs
          </Heading>
          <Text color="gray" size="2">
            Plan a run with a dry run, launch it, and follow it bucket by bucket. Runs execute on the server and keep going
            when this page is closed.
          </Text>
        </Flex>
        <RunsPageClient />
      </Flex>
    </HydrateClient>
  );
}
