// Audit explorer: the append-only trail, filtered by the URL's search params, prefetched on the server.
import { Flex, Heading, Text } from "@radix-ui/themes";
import type { Metadata } from "next";
import { connection } from "next/server";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { AuditExplorer } from "./client";
import { auditListInput, parseAuditSearch } from "./search-params";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // live data: render per request, never at build time
  await connection();
  const { search } = parseAuditSearch(await props.searchParams);
  await Promise.all([prefetch(trpc.audit.list.queryOptions(auditListInput(search))), prefetch(trpc.audit.types.queryOptions())]);
  return (
    <HydrateClient>
      <Flex direction="column" gap="4">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Audit
          </Heading>
          <Text color="gray" size="2">
            Every run, bucket attempt, config change, optimization and refused request, newest first. The trail is
            append-only; times are UTC.
          </Text>
        </Flex>
        <AuditExplorer />
      </Flex>
    </HydrateClient>
  );
}
