import fs from "node:fs";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEngine } from "@/pipeline/engine/duckdb";
import { parseConfigText } from "@/pipeline/config/load";
import { CONTROL_BACKENDS, startTestServerOn, type CallerKind, type TestServer } from "../testing";

type Doc = Record<string, unknown> & {
  rolling_columns: Record<string, unknown>[];
  history_length: number;
};

async function failure(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

function issuesOf(err: TRPCError): { path: string; message: string }[] {
  const cause = err.cause as { issues?: { path: string; message: string }[] } | undefined;
  return cause?.issues ?? [];
}

describe.each(CONTROL_BACKENDS)("config router on %s", (backend) => {
  let server: TestServer;
  let original: Doc;
  const text = (doc: unknown) => JSON.stringify(doc, null, 2);
  const withDoc = (edit: (d: Doc) => void): string => {
    const d = structuredClone(original);
    edit(d);
    return text(d);
  };

  beforeAll(async () => {
    server = await startTestServerOn(backend, "config-router-");
    original = JSON.parse(fs.readFileSync(server.configPath, "utf8")) as Doc;
    // the source table, so validation knows its columns
    const engine = await openEngine({ database: server.engineDatabase });
    const conn = await engine.connect();
    await conn.run(
      `CREATE TABLE accounts_all (cons_acct_key BIGINT, rpt_as_of_mo DATE, base_ts TIMESTAMP, acct_stat_cd VARCHAR,
        acct_type_cd VARCHAR, balance_am BIGINT, payment_rating_cd VARCHAR, credit_limit_am BIGINT)`,
    );
    conn.closeSync();
  });

  afterAll(async () => {
    await server.dispose();
  });

  const viewer = () => server.caller("viewer");
  const operator = () => server.caller("operator");

  describe("versions", () => {
    it("imports the config file as version 1 on first use (system, active, audited)", async () => {
      const versions = await (await viewer()).config.versions();
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({ id: 1, author: "system", active: true, changes: null });
      const active = await (await viewer()).config.active();
      expect(active.version?.id).toBe(1);
      expect(active.file).toMatchObject({ path: server.configPath, state: "matches", error: null, text: null });
      // stored with its defaults, pretty-printed; equal to what the engine reads from the file
      const v1 = await (await viewer()).config.version({ id: 1 });
      expect(v1.json).toContain('\n  "tables": {\n');
      expect(parseConfigText(v1.json)).toEqual(parseConfigText(fs.readFileSync(server.configPath, "utf8")));
      expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);
      const imports = await server.db.auditEvent.findMany({ where: { type: "config.save" } });
      expect(imports).toHaveLength(1);
      expect(imports[0]).toMatchObject({ actor: "system", level: "info" });
    });

    it("answers NOT_FOUND for an unknown version", async () => {
      expect((await failure((await viewer()).config.version({ id: 999 }))).code).toBe("NOT_FOUND");
    });
  });

  describe("validate", () => {
    it("accepts the config in place", async () => {
      const r = await (await viewer()).config.validate({ text: text(original) });
      expect(r.ok).toBe(true);
      expect(r.issues).toEqual([]);
    });

    it("refuses a table function in a mapper expression at its field", async () => {
      const r = await (await viewer()).config.validate({
        text: withDoc((d) => {
          d.rolling_columns[0] = { ...d.rolling_columns[0], mapper_expr: "read_csv('x')" };
        }),
      });
      expect(r.ok).toBe(false);
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]?.path).toBe("rolling_columns[0].mapper_expr");
      expect(r.issues[0]?.message).toMatch(/read_csv/);
    });

    it("reports every bad expression and unknown source columns of the source table", async () => {
      const r = await (await viewer()).config.validate({
        text: withDoc((d) => {
          d.rolling_columns[0] = { ...d.rolling_columns[0], mapper_expr: "balance_am; DROP TABLE summary" };
          d.rolling_columns[1] = { ...d.rolling_columns[1], source_column: "no_such_column" };
          d.columns = [{ name: "x", expr: "random()" }];
        }),
      });
      expect(r.issues.map((i) => i.path).sort()).toEqual(["columns[0].expr", "rolling_columns[0].mapper_expr", "rolling_columns[1].source_column"]);
      expect(r.issues.find((i) => i.path === "rolling_columns[1].source_column")?.message).toMatch(/unknown column "no_such_column"/);
    });

    it("names the fields of a malformed document", async () => {
      const r = await (await viewer()).config.validate({
        text: withDoc((d) => {
          d.history_length = 0;
          d.rolling_columns[1] = { ...d.rolling_columns[1], data_type: "Money" };
          d.resilience = { retry_count: "three" };
          d.surprise = true;
        }),
      });
      expect(r.ok).toBe(false);
      const paths = r.issues.map((i) => i.path).sort();
      expect(paths).toEqual(["(root)", "history_length", "resilience.retry_count", "rolling_columns[1].data_type"]);
      expect(r.issues.find((i) => i.path === "(root)")?.message).toMatch(/surprise/);
    });

    it("still checks the expressions of a document the schema refuses", async () => {
      const r = await (await viewer()).config.validate({
        text: withDoc((d) => {
          d.history_length = 0;
          d.rolling_columns[0] = { ...d.rolling_columns[0], mapper_expr: "read_csv('x')" };
          d.rolling_columns[1] = { ...d.rolling_columns[1], mapper_expr: 42 };
        }),
      });
      expect(r.issues.map((i) => i.path).sort()).toEqual(["history_length", "rolling_columns[0].mapper_expr", "rolling_columns[1].mapper_expr"]);
      expect(r.issues.find((i) => i.path === "rolling_columns[0].mapper_expr")?.message).toMatch(/read_csv/);
      expect(r.issues.find((i) => i.path === "rolling_columns[1].mapper_expr")?.message).toMatch(/expected string/);
    });

    it("reports broken JSON at the root", async () => {
      const r = await (await viewer()).config.validate({ text: '{"version": 1,' });
      expect(r).toMatchObject({ ok: false, issues: [{ path: "(root)", message: expect.stringMatching(/^not valid JSON/) }] });
    });
  });

  describe("save", () => {
    it("refuses an invalid config and stores nothing", async () => {
      const before = await server.db.configVersion.count();
      const auditsBefore = await server.db.auditEvent.count({ where: { type: "config.save" } });
      const err = await failure(
        (await operator()).config.save({
          text: withDoc((d) => {
            d.rolling_columns[0] = { ...d.rolling_columns[0], mapper_expr: "read_csv('x')" };
          }),
        }),
      );
      expect(err.code).toBe("BAD_REQUEST");
      expect(issuesOf(err).map((i) => i.path)).toEqual(["rolling_columns[0].mapper_expr"]);
      expect(await server.db.configVersion.count()).toBe(before);
      expect(await server.db.auditEvent.count({ where: { type: "config.save" } })).toBe(auditsBefore);
    });

    it("refuses a config identical to the active version", async () => {
      const err = await failure((await operator()).config.save({ text: text(original) }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/identical to version 1/);
    });

    it("saves a valid config as an inactive version with its diff against the active one", async () => {
      const saved = await (await operator()).config.save({
        text: withDoc((d) => {
          d.history_length = 24;
        }),
        comment: "  shorter history  ",
      });
      expect(saved).toMatchObject({ id: 2, author: "operator", comment: "shorter history", active: false });
      expect(saved.diff?.startsWith("--- pipeline_config.json\tversion 1 (active)\n")).toBe(true);
      expect(saved.diff).toContain("+++ pipeline_config.json\tversion 2");
      expect(saved.diff).toContain('-  "history_length": 36,');
      expect(saved.diff).toContain('+  "history_length": 24,');
      const list = await (await viewer()).config.versions();
      expect(list.map((v) => [v.id, v.active])).toEqual([
        [2, false],
        [1, true],
      ]);
      expect(list[0]?.changes).toEqual({ added: 1, removed: 1 });
      const event = await server.db.auditEvent.findFirst({ where: { type: "config.save" }, orderBy: { id: "desc" } });
      expect(event).toMatchObject({ actor: "operator", level: "info", message: "saved config version 2: shorter history" });
      expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ id: 2, against: 1, added: 1, removed: 1 });
      // saving does not touch the file the engine reads
      expect(parseConfigText(fs.readFileSync(server.configPath, "utf8")).history_length).toBe(36);
    });
  });

  describe("activate", () => {
    it("writes the version to the config file and makes it the only active one", async () => {
      const activated = await (await operator()).config.activate({ id: 2 });
      expect(activated).toMatchObject({ id: 2, active: true });
      const v2 = await server.db.configVersion.findUniqueOrThrow({ where: { id: 2 } });
      expect(fs.readFileSync(server.configPath, "utf8")).toBe(v2.json);
      expect(parseConfigText(fs.readFileSync(server.configPath, "utf8")).history_length).toBe(24);
      expect(await server.db.configVersion.findMany({ where: { active: true }, select: { id: true } })).toEqual([{ id: 2 }]);
      expect((await (await viewer()).config.active()).file.state).toBe("matches");
      const event = await server.db.auditEvent.findFirst({ where: { type: "config.activate" }, orderBy: { id: "desc" } });
      expect(event).toMatchObject({ actor: "operator", message: `activated config version 2 (wrote ${server.configPath})` });
      expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ id: 2, previous: 1 });
      // the next save diffs against the new active version
      const v3 = await (await operator()).config.save({ text: withDoc((d) => void (d.history_length = 12)) });
      expect(v3.diff).toContain("version 2 (active)");
      expect(v3.diff).toContain('-  "history_length": 24,');
    });

    it("can go back to an earlier version", async () => {
      await (await operator()).config.activate({ id: 1 });
      expect(parseConfigText(fs.readFileSync(server.configPath, "utf8")).history_length).toBe(36);
      expect(await server.db.configVersion.findMany({ where: { active: true }, select: { id: true } })).toEqual([{ id: 1 }]);
    });

    it("notices a config file edited outside the dashboard", async () => {
      fs.writeFileSync(server.configPath, withDoc((d) => void (d.history_length = 48)));
      expect((await (await viewer()).config.active()).file.state).toBe("differs");
      fs.writeFileSync(server.configPath, "{ not json");
      expect((await (await viewer()).config.active()).file).toMatchObject({ state: "invalid", error: expect.stringMatching(/not valid JSON/) });
      await (await operator()).config.activate({ id: 1 });
      expect((await (await viewer()).config.active()).file.state).toBe("matches");
    });

    it("refuses an unknown version and changes nothing", async () => {
      const err = await failure((await operator()).config.activate({ id: 999 }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(await server.db.configVersion.findMany({ where: { active: true }, select: { id: true } })).toEqual([{ id: 1 }]);
    });
  });

  describe("roles", () => {
    const mutations = {
      save: (kind: CallerKind) => server.caller(kind).then((c) => c.config.save({ text: withDoc((d) => void (d.history_length = 6)) })),
      activate: (kind: CallerKind) => server.caller(kind).then((c) => c.config.activate({ id: 2 })),
    };

    for (const kind of ["viewer", "bad-token"] as const) {
      for (const [name, call] of Object.entries(mutations)) {
        it(`refuses config.${name} to a ${kind} and audits the denial`, async () => {
          const versions = await server.db.configVersion.findMany({ orderBy: { id: "asc" } });
          const denialsBefore = await server.db.auditEvent.count({ where: { type: "auth.denied" } });
          const err = await failure(call(kind));
          expect(err.code).toBe("FORBIDDEN");
          expect(await server.db.configVersion.findMany({ orderBy: { id: "asc" } })).toEqual(versions);
          const denials = await server.db.auditEvent.findMany({ where: { type: "auth.denied" }, orderBy: { id: "asc" } });
          expect(denials).toHaveLength(denialsBefore + 1);
          expect(denials.at(-1)?.message).toBe(
            `denied config.${name}: ${kind === "viewer" ? "no operator token" : "a wrong operator token"}`,
          );
        });
      }
    }

    it("lets an operator signed in with the session cookie mutate", async () => {
      const v = await mutations.save("operator-cookie");
      expect(v.author).toBe("operator");
      expect((await mutations.activate("operator-cookie")).id).toBe(2);
    });

    it("lets viewers read versions and validate", async () => {
      const c = await viewer();
      await expect(c.config.versions()).resolves.toBeInstanceOf(Array);
      await expect(c.config.active()).resolves.toHaveProperty("version");
      await expect(c.config.version({ id: 1 })).resolves.toHaveProperty("json");
      await expect(c.config.validate({ text: text(original) })).resolves.toMatchObject({ ok: true });
    });
  });
});
