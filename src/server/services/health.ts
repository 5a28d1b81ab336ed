// The health of the parts the dashboard depends on: the DuckDB engine of the configured database
// and the control database. Each check reports its own failure instead of failing the whole answer.
import type { ControlDb } from "@/control/db";
import { duckdbVersion } from "@/pipeline/engine/duckdb";
import { describeError } from "@/pipeline/errors";
import type { EngineHost } from "../engine";
import packageJson from "../../../package.json";

export type Check<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface Health {
  status: "ok" | "degraded";
  checkedAt: Date;
  app: { name: string; version: string; node: string };
  engine: Check<{ duckdbVersion: string; database: string; configPath: string }>;
  control: Check<{ database: string; migrationsApplied: number }>;
}

export interface HealthDeps {
  engineHost: () => Promise<EngineHost>;
  controlDb: () => { client: ControlDb; path: string };
}

async function checkEngine(deps: HealthDeps): Promise<Health["engine"]> {
  try {
    const { engine, configPath } = await deps.engineHost();
    const conn = await engine.connect();
    try {
      return { ok: true, duckdbVersion: await duckdbVersion(conn), database: engine.database, configPath };
    } finally {
      conn.closeSync();
    }
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

async function checkControl(deps: HealthDeps): Promise<Health["control"]> {
  try {
    const { client, path } = deps.controlDb();
    // the migrator's own table, read through the Prisma client so the check covers the client too
    const rows = await client.$queryRaw<{ n: bigint | number }[]>`SELECT COUNT(*) AS n FROM "_control_migrations"`;
    return { ok: true, database: path, migrationsApplied: Number(rows[0]?.n ?? 0) };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const [engine, control] = await Promise.all([checkEngine(deps), checkControl(deps)]);
  return {
    status: engine.ok && control.ok ? "ok" : "degraded",
    checkedAt: new Date(),
    app: { name: packageJson.name, version: packageJson.version, node: process.version },
    engine,
    control,
  };
}
