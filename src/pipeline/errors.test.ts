import { describe, expect, it } from "vitest";
import { describeError, PipelineError } from "./errors";

describe("describeError", () => {
  it("gives one line: a pipeline error with its issues, an error's first line", () => {
    const err = new PipelineError("CONFIG_INVALID", "invalid config", {
      where: "config",
      issues: [{ path: "history_length", message: "must be positive" }],
    });
    expect(describeError(err)).toBe("invalid config: history_length: must be positive");
    expect(describeError(new Error("disk full\nat write"))).toBe("disk full");
    expect(describeError("plain")).toBe("plain");
  });

  it("does not repeat an issue its message already states", () => {
    // 'rolling_columns[2].mapper_expr: function "read_csv" is not allowed' was printed twice
    const issue = { path: "rolling_columns[2].mapper_expr", message: 'function "read_csv" is not allowed' };
    const one = new PipelineError("CONFIG_INVALID", `${issue.path}: ${issue.message}`, { issues: [issue] });
    expect(describeError(one)).toBe('rolling_columns[2].mapper_expr: function "read_csv" is not allowed');
    const two = new PipelineError("CONFIG_INVALID", "2 config expressions are invalid", { issues: [issue, { path: "columns[0].expr", message: "unknown column" }] });
    expect(describeError(two)).toBe('2 config expressions are invalid: rolling_columns[2].mapper_expr: function "read_csv" is not allowed; columns[0].expr: unknown column');
  });

  it("says what went wrong for an error whose message opens with a blank line, as Prisma's do", () => {
    const prisma = new Error(
      "\nInvalid `tx.configVersion.create()` invocation in\n/app/src/control/config-versions.ts:97:44\n\n  96 const created = await tx.configVersion.create(\n\nSqliteError: database is locked",
    );
    expect(describeError(prisma)).toBe("SqliteError: database is locked");
    expect(describeError(new Error("\n\n"))).toBe("Error");
  });
});
