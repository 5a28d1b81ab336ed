import { describe, expect, it } from "vitest";
import { appendAt, getIn, issuesByPath, numberFrom, removeAt, setIn } from "./doc-path";

describe("config document paths", () => {
  const doc = { keys: { account: "a" }, rolling_columns: [{ name: "b", mapper_expr: "x" }] };

  it("reads nested fields, and undefined past a wrong container", () => {
    expect(getIn(doc, ["rolling_columns", 0, "name"])).toBe("b");
    expect(getIn(doc, ["keys", 0])).toBeUndefined();
    expect(getIn(doc, ["rolling_columns", "name"])).toBeUndefined();
  });

  it("writes without touching the original, removing a key set to undefined", () => {
    const next = setIn(doc, ["rolling_columns", 0, "mapper_expr"], undefined);
    expect(next.rolling_columns[0]).toEqual({ name: "b" });
    expect(doc.rolling_columns[0]).toEqual({ name: "b", mapper_expr: "x" });
    expect(next.keys).toBe(doc.keys); // untouched branches are shared
    expect(setIn({}, ["engine", "threads"], null)).toEqual({ engine: { threads: null } });
    expect(setIn({ tables: "oops" }, ["tables", "summary"], "s")).toEqual({ tables: { summary: "s" } });
  });

  it("adds and removes list items", () => {
    const added = appendAt(doc, ["grid_columns"], { name: "g" });
    expect(added).toMatchObject({ grid_columns: [{ name: "g" }] });
    expect(removeAt(added, ["rolling_columns"], 0).rolling_columns).toEqual([]);
  });

  it("keeps what is not a number as typed, so the schema can name the field", () => {
    expect(numberFrom("36", undefined)).toBe(36);
    expect(numberFrom(" ", null)).toBeNull();
    expect(numberFrom("", undefined)).toBeUndefined();
    expect(numberFrom("1.", undefined)).toBe("1.");
    expect(numberFrom("ten", undefined)).toBe("ten");
  });

  it("groups issues by path", () => {
    const m = issuesByPath([
      { path: "a", message: "x" },
      { path: "a", message: "x" },
      { path: "a", message: "y" },
      { path: "b", message: "z" },
    ]);
    expect(Object.fromEntries(m)).toEqual({ a: ["x", "y"], b: ["z"] });
  });
});
