// The operator token: created (and printed once) before any request can be refused, stored only
// as a hash, compared in constant time; the presented token comes from a header or the cookie.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isOperatorToken, presentedToken, principalOf } from "./auth";

const stateKey = Symbol.for("summary-pipeline.operator-token");
function resetTokenState(): void {
  delete (globalThis as unknown as Record<symbol, unknown>)[stateKey];
}

describe("operator token", () => {
  const saved = { file: process.env.OPERATOR_TOKEN_FILE, token: process.env.OPERATOR_TOKEN };
  afterEach(() => {
    process.env.OPERATOR_TOKEN_FILE = saved.file;
    process.env.OPERATOR_TOKEN = saved.token;
    if (saved.file === undefined) delete process.env.OPERATOR_TOKEN_FILE;
    if (saved.token === undefined) delete process.env.OPERATOR_TOKEN;
    resetTokenState();
    vi.restoreAllMocks();
  });

  it("is generated and printed when a viewer first arrives, and only its hash is stored", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-"));
    process.env.OPERATOR_TOKEN_FILE = path.join(dir, "operator-token.sha256");
    delete process.env.OPERATOR_TOKEN;
    resetTokenState();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(principalOf(new Headers())).toEqual({ role: "viewer", tokenPresented: false });
    expect(fs.existsSync(process.env.OPERATOR_TOKEN_FILE)).toBe(true);
    const printed = String(log.mock.calls[0]?.[0] ?? "");
    const token = /\n\s{4}(\S+)\n/.exec(printed)?.[1] ?? "";
    expect(token.length).toBeGreaterThan(20);
    expect(fs.readFileSync(process.env.OPERATOR_TOKEN_FILE, "utf8")).not.toContain(token);
    expect(isOperatorToken(token)).toBe(true);
    expect(principalOf(new Headers({ authorization: `Bearer ${token}` })).role).toBe("operator");
    expect(principalOf(new Headers({ cookie: `sp_operator=${encodeURIComponent(token)}` })).role).toBe("operator");
    expect(principalOf(new Headers({ "x-operator-token": "wrong" }))).toEqual({ role: "viewer", tokenPresented: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the presented token from the header, then the cookie", () => {
    expect(presentedToken(new Headers({ "x-operator-token": " abc " }))).toBe("abc");
    expect(presentedToken(new Headers({ cookie: "a=1; sp_operator=x%20y" }))).toBe("x y");
    expect(presentedToken(new Headers())).toBeNull();
  });
});
