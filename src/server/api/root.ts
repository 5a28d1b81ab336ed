// The API of the dashboard: one router per domain, composed here and nowhere else.
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { configRouter } from "./routers/config";
import { healthRouter } from "./routers/health";
import { runsRouter } from "./routers/runs";
import { inspectorRouter } from "./routers/inspector";
import { tablesRouter } from "./routers/tables";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  auth: authRouter,
  runs: runsRouter,
  audit: auditRouter,
  config: configRouter,
  tables: tablesRouter,
  inspector: inspectorRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
