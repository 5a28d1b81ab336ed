// Reads against the engine database for the dashboard: each read gets its own connection (its own
// snapshot, so a run writing meanwhile is never seen half-done) and closes it whatever happens.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "@/pipeline/config/schema";
import type { EngineHost } from "../engine";

export type EngineHostSource = () => Promise<EngineHost>;

export async function readEngine<T>(
  engineHost: EngineHostSource,
  read: (conn: DuckDBConnection, config: PipelineConfig, host: EngineHost) => Promise<T>,
): Promise<T> {
  const host = await engineHost();
  const conn = await host.engine.connect();
  try {
    return await read(conn, host.config, host);
  } finally {
    conn.closeSync();
  }
}
