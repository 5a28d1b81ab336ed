// Overview: the state of the backend (engine, control database) and the recent runs, prefetched on the server.
import { Flex, Heading, Text } from "@radix-ui/themes";
import { connection } from "next/server";
import { RecentRunsPanel } from "@/components/recent-runs-panel";
import { RECENT_RUNS_INPUT } from "@/hooks/runs-query-inputs";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { HealthPanel } from "./client";

export default async function OverviewPage() {
  // health is live data: render per request, never at build time
  await connection();
  // awaited: the panel reads it with useQuery, so the answer must be in the HTML it hydrates
  await Promise.all([prefetch(trpc.health.check.queryOptions()), prefetch(trpc.runs.list.queryOptions(RECENT_RUNS_INPUT))]);
  return (
    <HydrateClient>
      <Flex direction="column" gap="4">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Overview
          </Heading>
          <Text color="gray" size="2">
            Whether the engine and the control database are reachable, and what this server runs.
          </Text>
        </Flex>
        <HealthPanel />
        <RecentRunsPanel />
      </Flex>
    </HydrateClient>
  );
}
