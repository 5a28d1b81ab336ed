import { describe, expect, it } from "vitest";
import { auditFiltersOf, auditSearchString, parseAuditSearch, parseAuditSearchStrict, parseInstant } from "./search-params";

describe("audit search params", () => {
  it("reads repeated and comma-separated lists, trims, and drops empties", () => {
    const { search, invalid } = parseAuditSearch(new URLSearchParams("type=run.start&type=config.save,optimize&level=warn&level=&run= ab12cd34 "));
    expect(invalid).toEqual([]);
    expect(search).toEqual({
      run: "ab12cd34",
      type: ["run.start", "config.save", "optimize"],
      level: ["warn"],
      from: undefined,
      to: undefined,
      q: undefined,
      page: undefined,
    });
  });

  it("drops and names invalid parameters on the page, refuses them for the export", () => {
    const params = new URLSearchParams("level=debug&page=0&from=yesterday&q=disk");
    const { search, invalid } = parseAuditSearch(params);
    expect(invalid.sort()).toEqual(["from", "level", "page"]);
    expect(search).toEqual({ type: [], level: [], q: "disk" });
    const strict = parseAuditSearchStrict(params);
    expect(strict.success).toBe(false);
  });

  it("reads times as UTC, a range end covering its whole precision", () => {
    expect(parseInstant("2026-03-01T10:00", "start")?.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(parseInstant("2026-03-01T10:00", "end")?.toISOString()).toBe("2026-03-01T10:00:59.999Z");
    expect(parseInstant("2026-03-01", "end")?.toISOString()).toBe("2026-03-01T23:59:59.999Z");
    expect(parseInstant("2026-03-01T10:00:05", "end")?.toISOString()).toBe("2026-03-01T10:00:05.999Z");
    expect(parseInstant("2026-03-01T10:00:05.250Z", "end")?.toISOString()).toBe("2026-03-01T10:00:05.250Z");
    expect(parseInstant("2026-03-01T10:00+02:00", "start")?.toISOString()).toBe("2026-03-01T08:00:00.000Z");
    expect(parseInstant("2026-02-30T10:00", "start")).toBeNull();
    expect(parseInstant("10:00", "start")).toBeNull();
  });

  it("turns a search into service filters", () => {
    const { search } = parseAuditSearch({ run: "ab12cd34", type: ["run.fail"], level: "error", from: "2026-03-01T10:00", to: "2026-03-01T11:00", q: "disk" });
    expect(auditFiltersOf(search)).toEqual({
      runId: "ab12cd34",
      types: ["run.fail"],
      levels: ["error"],
      from: new Date("2026-03-01T10:00:00.000Z"),
      to: new Date("2026-03-01T11:00:59.999Z"),
      text: "disk",
    });
    expect(auditFiltersOf(parseAuditSearch({}).search)).toEqual({
      runId: undefined,
      types: undefined,
      levels: undefined,
      from: undefined,
      to: undefined,
      text: undefined,
    });
  });

  it("writes a search back to a query string that parses to the same search", () => {
    const { search } = parseAuditSearch({ run: "r1", type: ["a", "b"], level: ["info", "warn"], from: "2026-03-01T10:00", q: "x & y", page: "3" });
    const qs = auditSearchString(search);
    expect(qs).toBe("run=r1&type=a&type=b&level=info&level=warn&from=2026-03-01T10%3A00&q=x+%26+y&page=3");
    expect(parseAuditSearch(new URLSearchParams(qs)).search).toEqual(search);
    expect(auditSearchString({ page: 1 })).toBe("");
  });
});
