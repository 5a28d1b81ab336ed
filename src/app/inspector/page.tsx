// Account inspector: one account's summary rows, rolling arrays and provenance. The account comes
// from the URL (?account=), is fetched on the server, and a key the server refuses is answered with
// its message in the page rather than a failed request in the browser.
import { Flex, Heading, Text } from "@radix-ui/themes";
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { InspectorView, type RefusedAccount } from "./client";
import { parseInspectorSearchParams } from "./search-params";

export const metadata: Metadata = { title: "Account inspector" };

/** What the page says about a failed read: the server's own message for bad input, one line otherwise. */
function refusalMessage(err: unknown): string {
  if (err instanceof TRPCError && err.code === "BAD_REQUEST") return err.message;
  const line = err instanceof Error ? (err.message.split("\n")[0] ?? err.name) : String(err);
  return `The server could not read this account: ${line}`;
}

export default async function InspectorPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = parseInspectorSearchParams(await props.searchParams);
  let refused: RefusedAccount | null = null;
  if (params.account !== null) {
    try {
      await getQueryClient().fetchQuery(trpc.inspector.account.queryOptions({ account: params.account }));
    } catch (err) {
      if (!(err instanceof TRPCError && err.code === "BAD_REQUEST")) console.error("inspector: reading an account failed:", err);
      refused = { account: params.account, message: refusalMessage(err) };
    }
  }
  return (
    <HydrateClient>
      <Flex direction="column" gap="5">
        <Flex direction="column" gap="1">
          <Heading as="h2" size="6">
            Account inspector
          </Heading>
          <Text color="gray" size="2">
            One account&apos;s summary rows: the rolling arrays month by month, and which run and case wrote each month.
          </Text>
        </Flex>
        <InspectorView refused={refused} />
      </Flex>
    </HydrateClient>
  );
}
