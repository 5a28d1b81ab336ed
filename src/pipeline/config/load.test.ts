// Config validation that needs the whole config (SPEC §5: a bad config never reaches the engine).
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./load";

const base = () => JSON.parse(fs.readFileSync("config/pipeline_config.json", "utf8")) as Record<string, unknown> & { tables?: Record<string, string> };

function issuesOf(doc: unknown): { path: string; message: string }[] {
  try {
    parseConfig(doc);
  } catch (err) {
    return (err as { issues: { path: string; message: string }[] }).issues;
  }
  return [];
}

describe("table names", () => {
  it("accepts the default config", () => {
    expect(issuesOf(base())).toEqual([]);
  });

  it("refuses an output table named like the source table, in any case", () => {
    // an initial run replaced the source with the summary rows
    const doc = { ...base(), source: { kind: "table", name: "accounts_all" }, tables: { summary: "Accounts_All" } };
    expect(issuesOf(doc)).toEqual([{ path: "tables.summary", message: 'table name "Accounts_All" is already the source table (source.name)' }]);
  });

  it("refuses two output tables of one name", () => {
    const doc = { ...base(), tables: { summary: "summary", latest_summary: "summary", quarantine: "summary" } };
    expect(issuesOf(doc)).toEqual([
      { path: "tables.latest_summary", message: 'table name "summary" is already tables.summary' },
      { path: "tables.quarantine", message: 'table name "summary" is already tables.summary' },
    ]);
  });

  it("with a file source, an output table may take the name a table source would have", () => {
    const doc = { ...base(), source: { kind: "files", glob: "data/in/*.csv", format: "csv" }, tables: { summary: "accounts_all" } };
    expect(issuesOf(doc)).toEqual([]);
  });
});
