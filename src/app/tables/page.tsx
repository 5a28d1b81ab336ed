// Partitions & tables: the engine's table statistics, prefetched on the server.
import { Flex, Heading, Text } from "@radix-ui/themes";
import type { Metadata } from "next";
import { connection } from "next/server";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { TablesView } from "./client";

export const metadata: Metadata = { title: "Partitions & tables" };

export default async function TablesPage() {
  // live data: render per request, never at build time
  await connection();
  await prefetch(trpc.tables.stats.queryOptions());
  return (
    <HydrateClient>
      <Flex direction="column" gap="5">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Partitions &amp; tables
          </Heading>
          <Text color="gray" size="2">
            Rows, accounts, months and bytes per table; how evenly accounts spread over partitions; how much history the
            rolling arrays carry; and what recent runs did.
          </Text>
        </Flex>
        <TablesView />
      </Flex>
    </HydrateClient>
  );
}
