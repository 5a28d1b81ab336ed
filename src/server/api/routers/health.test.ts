import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeControlDb } from "@/control/db";
import { closeEngine } from "@/pipeline/engine/duckdb";
import { createCaller } from "../root";
import { createTRPCContext } from "../trpc";

describe("health.check", () => {
  let dir: string;
  const saved = { config: process.env.PIPELINE_CONFIG, url: process.env.DATABASE_URL };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "health-router-"));
    const config = JSON.parse(fs.readFileSync("e2e/fixtures/pipeline_config.json", "utf8")) as {
      engine: { database: string };
    };
    config.engine.database = path.join(dir, "engine", "summary.duckdb");
    fs.writeFileSync(path.join(dir, "pipeline_config.json"), JSON.stringify(config));
    process.env.DATABASE_URL = `file:${path.join(dir, "control.db")}`;
  });

  afterAll(async () => {
    await closeEngine(path.join(dir, "engine", "summary.duckdb"));
    await closeControlDb();
    process.env.PIPELINE_CONFIG = saved.config;
    process.env.DATABASE_URL = saved.url;
    if (saved.config === undefined) delete process.env.PIPELINE_CONFIG;
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function check() {
    return createCaller(await createTRPCContext({ headers: new Headers() })).health.check();
  }

  it("reports the engine and the control database as reachable", async () => {
    process.env.PIPELINE_CONFIG = path.join(dir, "pipeline_config.json");
    const health = await check();
    expect(health.status).toBe("ok");
    expect(health.engine).toMatchObject({
      ok: true,
      database: path.join(dir, "engine", "summary.duckdb"),
      configPath: path.join(dir, "pipeline_config.json"),
    });
    expect(health.engine.ok && health.engine.duckdbVersion).toMatch(/^v\d+\.\d+\.\d+/);
    expect(health.control).toEqual({ ok: true, database: path.join(dir, "control.db"), migrationsApplied: 1 });
    expect(health.app).toEqual({ name: "summary-pipeline", version: expect.any(String), node: process.version });
    expect(fs.existsSync(path.join(dir, "engine", "summary.duckdb"))).toBe(true);
  });

  it("reports a missing config as a degraded engine, not as a failed request", async () => {
    process.env.PIPELINE_CONFIG = path.join(dir, "missing.json");
    const health = await check();
    expect(health.status).toBe("degraded");
    expect(health.engine.ok).toBe(false);
    expect(!health.engine.ok && health.engine.error).toMatch(/cannot read config file/);
    expect(health.control.ok).toBe(true);
  });

  it("names the field of an invalid config", async () => {
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ rolling_columns: [{ name: "b", source_column: "b", data_type: "Money" }] }));
    process.env.PIPELINE_CONFIG = bad;
    const health = await check();
    expect(!health.engine.ok && health.engine.error).toMatch(/rolling_columns\[0\]\.data_type: must be one of/);
  });
});
