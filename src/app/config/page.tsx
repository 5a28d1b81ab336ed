// Config editor: the active config as a form and as JSON, validated while typed, saved as versions.
import { Flex, Heading, Text } from "@radix-ui/themes";
import type { Metadata } from "next";
import { connection } from "next/server";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { ConfigEditorPage } from "./client";

export const metadata: Metadata = { title: "Config" };

export default async function ConfigPage() {
  // live data: render per request, never at build time
  await connection();
  // the active version first: on first use it imports the config file as version 1
  await prefetch(trpc.config.active.queryOptions());
  await prefetch(trpc.config.versions.queryOptions());
  return (
    <HydrateClient>
      <Flex direction="column" gap="4">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Config
          </Heading>
          <Text color="gray" size="2">
            The pipeline config, checked as you type: the schema names each wrong field, and the engine parses every
            expression. A saved config is a version; activating one writes it to the config file.
          </Text>
        </Flex>
        <ConfigEditorPage />
      </Flex>
    </HydrateClient>
  );
}
