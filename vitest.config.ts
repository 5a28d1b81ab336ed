// Unit and integration tests: node environment, one forked process per file (DuckDB and
// better-sqlite3 are native addons), generous timeouts for tests that build real databases.
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["e2e/**", "node_modules/**", ".next/**"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
