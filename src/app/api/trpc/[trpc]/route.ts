// The tRPC HTTP endpoint (fetch adapter) of the App Router.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { checkMutationRequest } from "@/server/auth";
import { openControlDb } from "@/control/db";

// DuckDB and better-sqlite3 are native addons: this route runs on Node.js, per request.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  if (req.method === "POST") {
    const check = checkMutationRequest(req);
    if (!check.ok) {
      try {
        await openControlDb().client.auditEvent.create({
          data: { type: "auth.denied", level: "warn", actor: "unknown", message: `refused POST ${new URL(req.url).pathname}: ${check.reason}` },
        });
      } catch (err) {
        console.error("could not audit a refused request:", err);
      }
      return Response.json({ error: { message: check.reason } }, { status: check.status });
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: req.headers }),
    onError({ path, error }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`tRPC ${path ?? "<no path>"} failed:`, error.cause ?? error);
      }
    },
  });
}

export { handler as GET, handler as POST };
