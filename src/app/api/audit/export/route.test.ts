import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@/server/api/testing";
import { GET } from "./route";

describe("GET /api/audit/export", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = startTestServer("audit-export-route-");
    const ts = new Date("2026-03-01T10:00:30Z");
    await server.db.auditEvent.create({ data: { ts, runId: "ab12cd34", type: "run.start", level: "info", actor: "cli", message: "started" } });
    await server.db.auditEvent.create({ data: { ts, runId: "ab12cd34", type: "run.fail", level: "error", actor: "cli", message: "disk, full" } });
    await server.db.auditEvent.create({ data: { ts, type: "config.save", level: "info", actor: "operator", message: "saved version 2" } });
  });

  afterAll(async () => {
    await server.dispose();
  });

  it("downloads the filtered trail as a CSV attachment", async () => {
    const res = await GET(new Request("http://localhost/api/audit/export?run=ab12cd34&level=error&from=2026-03-01T10:00&to=2026-03-01T10:00"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-\d{8}T\d{6}Z\.csv"$/);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines).toEqual(["id,ts,runId,type,level,actor,message,data", '2,2026-03-01T10:00:30.000Z,ab12cd34,run.fail,error,cli,"disk, full",']);
  });

  it("exports everything without filters", async () => {
    const res = await GET(new Request("http://localhost/api/audit/export"));
    expect((await res.text()).trimEnd().split("\n")).toHaveLength(4);
  });

  it("answers 400 naming the wrong parameter", async () => {
    const res = await GET(new Request("http://localhost/api/audit/export?level=loud&to=soon"));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(["level[0]", "to"]);
  });
});
