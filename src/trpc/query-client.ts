// The QueryClient factory shared by the server (one per request) and the browser (one per tab).
// superjson on both sides of hydration, and pending queries are dehydrated so a server prefetch
// that has not finished streams to the client instead of being refetched.
import { defaultShouldDehydrateQuery, QueryClient } from "@tanstack/react-query";
import superjson from "superjson";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // data prefetched on the server is fresh enough not to refetch on hydration
        staleTime: 30 * 1000,
      },
      dehydrate: {
        serializeData: superjson.serialize,
        shouldDehydrateQuery: (query) => defaultShouldDehydrateQuery(query) || query.state.status === "pending",
      },
      hydrate: {
        deserializeData: superjson.deserialize,
      },
    },
  });
}
