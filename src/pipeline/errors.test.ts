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

  it("says what went wrong for an error whose message opens with a blank line, as Prisma's do", () => {
    const prisma = new Error(
      "\nInvalid `tx.configVersion.create()` invocation in\n/app/src/control/config-versions.ts:97:44\n\n  96 const created = await tx.configVersion.create(\n\nSqliteError: database is locked",
    );
    expect(describeError(prisma)).toBe("SqliteError: database is locked");
    expect(describeError(new Error("\n\n"))).toBe("Error");
  });
});
