// Operator sign-in: POST { token } sets an httpOnly session cookie when the token is right;
// DELETE signs out. GET tells the page which role it has.
import { openControlDb } from "@/control/db";
import { checkMutationRequest, isOperatorToken, principalOf, SESSION_COOKIE } from "@/server/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(req: Request): Response {
  return Response.json({ role: principalOf(req.headers).role });
}

export async function POST(req: Request): Promise<Response> {
  const check = checkMutationRequest(req);
  if (!check.ok) return Response.json({ error: check.reason }, { status: check.status });
  let token: unknown;
  try {
    token = ((await req.json()) as { token?: unknown }).token;
  } catch {
    return Response.json({ error: "the body must be JSON: { \"token\": \"…\" }" }, { status: 400 });
  }
  if (typeof token !== "string" || !isOperatorToken(token)) {
    try {
      await openControlDb().client.auditEvent.create({
        data: { type: "auth.denied", level: "warn", actor: "unknown", message: "operator sign-in with a wrong token" },
      });
    } catch (err) {
      console.error("could not audit a denied sign-in:", err);
    }
    return Response.json({ error: "wrong operator token" }, { status: 401 });
  }
  const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
  return Response.json(
    { role: "operator" },
    { headers: { "set-cookie": `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200${secure}` } },
  );
}

export function DELETE(req: Request): Response {
  const check = checkMutationRequest(req);
  if (!check.ok) return Response.json({ error: check.reason }, { status: check.status });
  return Response.json({ role: "viewer" }, { headers: { "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` } });
}
