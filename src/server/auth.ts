// Roles of the dashboard: viewers read; operators (holding the operator token) may mutate.
// The token is generated on first start and printed once (or set with OPERATOR_TOKEN in .env);
// only its SHA-256 is stored, and presented tokens are compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export type Role = "viewer" | "operator";

export const SESSION_COOKIE = "sp_operator";

interface TokenState {
  hash: Buffer;
  source: "env" | "file";
}

const stateKey = Symbol.for("summary-pipeline.operator-token");

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Where the token's hash is kept: beside the control database by default. */
export function tokenHashFile(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.OPERATOR_TOKEN_FILE ?? "data/operator-token.sha256");
}

/** The stored token hash, creating (and printing once) a token on first use. */
export function operatorTokenState(): TokenState {
  const g = globalThis as unknown as Record<symbol, TokenState | undefined>;
  const cached = g[stateKey];
  if (cached) return cached;
  let state: TokenState;
  const fromEnv = process.env.OPERATOR_TOKEN;
  if (fromEnv && fromEnv.length > 0) {
    state = { hash: sha256(fromEnv), source: "env" };
  } else {
    const file = tokenHashFile();
    if (fs.existsSync(file)) {
      state = { hash: Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex"), source: "file" };
    } else {
      const token = randomBytes(24).toString("base64url");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, sha256(token).toString("hex") + "\n", { mode: 0o600 });
      console.log(
        `\n  Operator token (shown once; only its hash is kept in ${file}):\n\n    ${token}\n\n` +
          `  Sign in with it on the dashboard to launch, cancel and resume runs and edit the config.\n`,
      );
      state = { hash: sha256(token), source: "file" };
    }
  }
  g[stateKey] = state;
  return state;
}

/** The token a request presents: `Authorization: Bearer …`, `x-operator-token`, or the session cookie. */
export function presentedToken(headers: Headers): string | null {
  const auth = headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim() || null;
  const header = headers.get("x-operator-token");
  if (header) return header.trim() || null;
  const cookie = headers.get("cookie");
  if (cookie) {
    for (const part of cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === SESSION_COOKIE) {
        try {
          return decodeURIComponent(v.join("=")) || null;
        } catch {
          return null;
        }
      }
    }
  }
  return null;
}

export function isOperatorToken(token: string | null): boolean {
  if (!token || token.length > 512) return false;
  const expected = operatorTokenState().hash;
  const got = sha256(token);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

export interface Principal {
  role: Role;
  /** A token was presented (and may have been wrong). */
  tokenPresented: boolean;
}

export function principalOf(headers: Headers): Principal {
  operatorTokenState(); // a token exists (and was printed once) before anyone can be refused
  const token = presentedToken(headers);
  return { role: isOperatorToken(token) ? "operator" : "viewer", tokenPresented: token !== null };
}

/**
 * A state-changing request must come from this site: its Origin (when the browser sends one)
 * must match the request's own origin, and its body must be JSON.
 */
export function checkMutationRequest(req: Request): { ok: true } | { ok: false; status: number; reason: string } {
  const origin = req.headers.get("origin");
  if (origin) {
    const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (!host || originHost !== host) return { ok: false, status: 403, reason: `cross-origin request from ${origin}` };
  }
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { ok: false, status: 415, reason: `content type ${type || "(none)"} is not application/json` };
  return { ok: true };
}
