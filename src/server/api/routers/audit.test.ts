import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_CSV_COLUMNS, exportAuditCsv } from "@/server/services/audit";
import { CONTROL_BACKENDS, startTestServerOn, type TestServer } from "../testing";
import { auditRouter } from "./audit";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const minutes = (n: number) => new Date(T0 + n * 60_000);

interface Seed {
  ts: Date;
  runId: string | null;
  type: string;
  level: string;
  actor: string | null;
  message: string;
  data: string | null;
}

// 12 events over 12 minutes; ids follow the order here (oldest first)
const SEED: Seed[] = [
  { ts: minutes(0), runId: "aaaa0001", type: "run.start", level: "info", actor: "cli", message: "started initial run", data: '{"mode":"initial"}' },
  { ts: minutes(1), runId: "aaaa0001", type: "bucket.attempt", level: "info", actor: "cli", message: "bucket 0 ok", data: '{"bucket":0,"rows":10}' },
  { ts: minutes(2), runId: "aaaa0001", type: "bucket.attempt", level: "warn", actor: "cli", message: "bucket 1 retry after IO error", data: '{"bucket":1}' },
  { ts: minutes(3), runId: "aaaa0001", type: "run.finish", level: "info", actor: "cli", message: "finished", data: null },
  { ts: minutes(4), runId: null, type: "config.save", level: "info", actor: "operator", message: 'saved version 2: "tweak", balance', data: '{"id":2}' },
  { ts: minutes(5), runId: "bbbb0002", type: "run.start", level: "info", actor: "dashboard", message: "started incremental run", data: null },
  { ts: minutes(6), runId: "bbbb0002", type: "run.fail", level: "error", actor: "dashboard", message: "Disk FULL while writing", data: '{"error":"ENOSPC"}' },
  { ts: minutes(7), runId: null, type: "auth.denied", level: "warn", actor: "viewer", message: "denied config.save: no operator token", data: null },
  { ts: minutes(8), runId: null, type: "config.activate", level: "info", actor: "operator", message: "activated version 2", data: null },
  { ts: minutes(9), runId: "cccc0003", type: "run.start", level: "info", actor: "cli", message: "100% of the input_rows\nsecond line", data: null },
  { ts: minutes(10), runId: "cccc0003", type: "run.finish", level: "info", actor: "cli", message: "finished", data: '{"rows":5}' },
  { ts: minutes(11), runId: null, type: "optimize", level: "info", actor: "cli", message: "optimized: 100 bytes before", data: null },
];

describe.each(CONTROL_BACKENDS)("audit router on %s", (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServerOn(backend, "audit-router-");
    for (const e of SEED) await server.db.auditEvent.create({ data: e });
  });

  afterAll(async () => {
    await server.dispose();
  });

  async function list(input: Parameters<Awaited<ReturnType<TestServer["caller"]>>["audit"]["list"]>[0]) {
    return (await server.caller("viewer")).audit.list(input);
  }
  const messages = (page: { events: { message: string }[] }) => page.events.map((e) => e.message);

  it("lists everything newest first", async () => {
    const page = await list({});
    expect(page.total).toBe(12);
    expect(page.events.map((e) => e.ts.getTime())).toEqual([...SEED].reverse().map((e) => e.ts.getTime()));
    expect(page).toMatchObject({ page: 1, pageSize: 50, pageCount: 1 });
  });

  it("filters by run", async () => {
    const page = await list({ runId: "aaaa0001" });
    expect(page.total).toBe(4);
    expect(page.events.every((e) => e.runId === "aaaa0001")).toBe(true);
  });

  it("filters by one or several types", async () => {
    expect((await list({ types: ["run.start"] })).total).toBe(3);
    const page = await list({ types: ["config.save", "config.activate"] });
    expect(page.events.map((e) => e.type)).toEqual(["config.activate", "config.save"]);
  });

  it("filters by level", async () => {
    expect(messages(await list({ levels: ["error"] }))).toEqual(["Disk FULL while writing"]);
    expect((await list({ levels: ["warn", "error"] })).total).toBe(3);
  });

  it("filters by a time range, both ends inclusive", async () => {
    const page = await list({ from: minutes(3), to: minutes(5) });
    expect(page.events.map((e) => e.ts)).toEqual([minutes(5), minutes(4), minutes(3)]);
    expect((await list({ from: minutes(10) })).total).toBe(2);
    expect((await list({ to: minutes(0) })).total).toBe(1);
  });

  it("searches message, actor, type, run id and data, ignoring ASCII case", async () => {
    expect(messages(await list({ text: "disk full" }))).toEqual(["Disk FULL while writing"]);
    expect((await list({ text: "ENOSPC" })).total).toBe(1); // in data only
    expect((await list({ text: "dashboard" })).total).toBe(2); // actor
    expect((await list({ text: "cccc" })).total).toBe(2); // run id
    expect((await list({ text: "auth.den" })).total).toBe(1); // type
    expect((await list({ text: "   " })).total).toBe(12); // blank is no filter
  });

  it("takes % and _ in the text literally", async () => {
    expect(messages(await list({ text: "100%" }))).toEqual(["100% of the input_rows\nsecond line"]);
    expect((await list({ text: "d_r" })).total).toBe(0); // "started run" would match if _ were a wildcard
    expect((await list({ text: "input_rows" })).total).toBe(1);
  });

  it("combines filters", async () => {
    expect((await list({ runId: "aaaa0001", types: ["bucket.attempt"] })).total).toBe(2);
    expect(messages(await list({ runId: "aaaa0001", types: ["bucket.attempt"], levels: ["warn"] }))).toEqual([
      "bucket 1 retry after IO error",
    ]);
    expect((await list({ types: ["run.start"], from: minutes(4), text: "incremental" })).total).toBe(1);
    expect((await list({ runId: "bbbb0002", levels: ["warn"] })).total).toBe(0);
  });

  it("paginates without overlap and clamps the page", async () => {
    const pages = [];
    for (let p = 1; p <= 3; p++) pages.push(await list({ page: p, pageSize: 5 }));
    expect(pages.map((p) => p.events.length)).toEqual([5, 5, 2]);
    expect(pages[0]).toMatchObject({ total: 12, pageCount: 3 });
    const ids = pages.flatMap((p) => p.events.map((e) => e.id));
    expect(new Set(ids).size).toBe(12);
    const beyond = await list({ page: 9, pageSize: 5 });
    expect(beyond.page).toBe(3);
    expect(beyond.events.map((e) => e.id)).toEqual(pages[2]?.events.map((e) => e.id));
  });

  it("refuses page sizes over 200", async () => {
    await expect(list({ pageSize: 201 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(list({ levels: ["debug" as "info"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("lists the types present, with counts", async () => {
    const types = await (await server.caller("viewer")).audit.types();
    expect(types).toEqual([
      { type: "auth.denied", count: 1 },
      { type: "bucket.attempt", count: 2 },
      { type: "config.activate", count: 1 },
      { type: "config.save", count: 1 },
      { type: "optimize", count: 1 },
      { type: "run.fail", count: 1 },
      { type: "run.finish", count: 2 },
      { type: "run.start", count: 3 },
    ]);
  });

  it("has no mutation to change or remove events", async () => {
    const caller = await server.caller("operator");
    // the router exposes queries only; a mutation would have to be added (and reviewed) to change the trail
    expect(caller.audit.list).toBeTypeOf("function");
    expect(caller.audit.types).toBeTypeOf("function");
    expect(Object.keys(auditRouter._def.procedures).sort()).toEqual(["list", "types"]);
    expect(Object.values(auditRouter._def.procedures).map((p) => p._def.type)).toEqual(["query", "query"]);
  });
});

describe.each(CONTROL_BACKENDS)("audit CSV export on %s", (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServerOn(backend, "audit-csv-");
    for (const e of SEED) await server.db.auditEvent.create({ data: e });
  });

  afterAll(async () => {
    await server.dispose();
  });

  /** RFC 4180 reading, written out here so the test does not trust the library that wrote the file. */
  function rows(csv: string): string[][] {
    const out: string[][] = [];
    let row: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < csv.length; i++) {
      const c = csv[i];
      if (quoted) {
        if (c === '"' && csv[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        row.push(field);
        field = "";
      } else if (c === "\n") {
        row.push(field);
        out.push(row);
        row = [];
        field = "";
      } else field += c;
    }
    expect(quoted).toBe(false);
    expect(field).toBe(""); // ends with a newline
    return out;
  }

  it("writes the header and one row per event, newest first, in ISO time", async () => {
    const csv = await exportAuditCsv(server.db);
    const [header, ...body] = rows(csv);
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(header).toEqual(["id", "ts", "runId", "type", "level", "actor", "message", "data"]);
    expect(body).toHaveLength(12);
    expect(body[0]).toEqual(["12", "2026-03-01T00:11:00.000Z", "", "optimize", "info", "cli", "optimized: 100 bytes before", ""]);
    expect(body.at(-1)).toEqual(["1", "2026-03-01T00:00:00.000Z", "aaaa0001", "run.start", "info", "cli", "started initial run", '{"mode":"initial"}']);
  });

  it("quotes commas, quotes and newlines so the values round-trip", async () => {
    const csv = await exportAuditCsv(server.db, { types: ["config.save", "run.start"], text: "second line" });
    expect(csv).toContain('"100% of the input_rows\nsecond line"');
    const all = rows(await exportAuditCsv(server.db));
    const save = all.find((r) => r[3] === "config.save");
    expect(save?.[6]).toBe('saved version 2: "tweak", balance');
    expect(await exportAuditCsv(server.db)).toContain('"saved version 2: ""tweak"", balance"');
    expect(all.find((r) => r[3] === "bucket.attempt" && r[4] === "warn")?.[7]).toBe('{"bucket":1}');
  });

  it("applies the filters and reads across chunk boundaries", async () => {
    const filtered = rows(await exportAuditCsv(server.db, { runId: "aaaa0001", levels: ["info"] }, { chunkSize: 2 }));
    expect(filtered.slice(1).map((r) => r[0])).toEqual(["4", "2", "1"]);
    const chunked = rows(await exportAuditCsv(server.db, {}, { chunkSize: 5 }));
    expect(chunked.slice(1).map((r) => r[0])).toEqual(["12", "11", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1"]);
  });

  it("writes only the header when nothing matches", async () => {
    expect(await exportAuditCsv(server.db, { runId: "nope" })).toBe("id,ts,runId,type,level,actor,message,data\n");
  });

  it("pages through events written in the same millisecond without losing or repeating any", async () => {
    const ts = minutes(30);
    for (let i = 0; i < 5; i++) await server.db.auditEvent.create({ data: { ts, type: "tie", level: "info", message: `tie ${i}` } });
    const ids = rows(await exportAuditCsv(server.db, {}, { chunkSize: 2 }))
      .slice(1)
      .map((r) => Number(r[0]));
    expect(ids).toEqual([17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
