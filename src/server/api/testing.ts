// Test support for router tests: a temporary folder holding a control database, an engine database
// and a pipeline config, wired through the environment the server reads, and callers per role.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { closeControlDb, openControlDb, type ControlDb } from "@/control/db";
import { startTempPostgres } from "@/control/postgres-server";
import { closeEngine } from "@/pipeline/engine/duckdb";
import { createCaller } from "./root";
import { createTRPCContext } from "./trpc";

export const TEST_OPERATOR_TOKEN = "test-operator-token-0123456789";

export type CallerKind = "operator" | "operator-cookie" | "viewer" | "bad-token";

export interface TestServer {
  dir: string;
  configPath: string;
  engineDatabase: string;
  db: ControlDb;
  caller(kind: CallerKind): Promise<ReturnType<typeof createCaller>>;
  dispose(): Promise<void>;
}

const ENV_KEYS = ["PIPELINE_CONFIG", "DATABASE_URL", "OPERATOR_TOKEN"] as const;

function headersOf(kind: CallerKind): Headers {
  switch (kind) {
    case "operator":
      return new Headers({ authorization: `Bearer ${TEST_OPERATOR_TOKEN}` });
    case "operator-cookie":
      return new Headers({ cookie: `sp_operator=${encodeURIComponent(TEST_OPERATOR_TOKEN)}` });
    case "bad-token":
      return new Headers({ "x-operator-token": "not-the-token" });
    case "viewer":
      return new Headers();
  }
}

/**
 * Sets PIPELINE_CONFIG, DATABASE_URL and OPERATOR_TOKEN for this test file (vitest runs each file in
 * its own process; the operator token is read once per process, so every file uses the same one).
 */
export function startTestServer(
  prefix: string,
  config?: (doc: Record<string, unknown>) => void,
  controlUrl?: string,
): TestServer {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const engineDatabase = path.join(dir, "engine", "summary.duckdb");
  const doc = JSON.parse(fs.readFileSync("e2e/fixtures/pipeline_config.json", "utf8")) as Record<string, unknown> & {
    engine: { database: string };
  };
  doc.engine.database = engineDatabase;
  config?.(doc);
  const configPath = path.join(dir, "pipeline_config.json");
  fs.writeFileSync(configPath, JSON.stringify(doc, null, 2));
  const url = controlUrl ?? `file:${path.join(dir, "control.db")}`;
  process.env.PIPELINE_CONFIG = configPath;
  process.env.DATABASE_URL = url;
  process.env.OPERATOR_TOKEN = TEST_OPERATOR_TOKEN;
  const db = openControlDb({ url }).client;
  return {
    dir,
    configPath,
    engineDatabase,
    db,
    caller: async (kind) => createCaller(await createTRPCContext({ headers: headersOf(kind) })),
    async dispose() {
      await closeEngine(engineDatabase);
      await closeControlDb(url);
      for (const k of ENV_KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const CONTROL_BACKENDS = ["SQLite", "PostgreSQL"] as const;
export type ControlBackend = (typeof CONTROL_BACKENDS)[number];

/** startTestServer with its control database on SQLite, or on a throwaway PostgreSQL server. */
export async function startTestServerOn(backend: ControlBackend, prefix: string): Promise<TestServer> {
  if (backend === "SQLite") return startTestServer(prefix);
  const pg = startTempPostgres();
  try {
    const server = startTestServer(prefix, undefined, await pg.createDatabase("control"));
    return {
      ...server,
      async dispose() {
        try {
          await server.dispose();
        } finally {
          pg.stop();
        }
      },
    };
  } catch (err) {
    pg.stop();
    throw err;
  }
}
