// Query inputs shared by the server pages that prefetch runs queries and the hooks that read them
// (the keys must match for the prefetched data to be used). Plain module: importable from both sides.
export const RUNS_LIST_INPUT = { limit: 25 } as const;
export const RECENT_RUNS_INPUT = { limit: 12 } as const;
