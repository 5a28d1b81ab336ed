// The API of the dashboard: one router per domain, composed here and nowhere else.
import { healthRouter } from "./routers/health";
import { inspectorRouter } from "./routers/inspector";
import { tablesRouter } from "./routers/tables";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  tables: tablesRouter,
  inspector: inspectorRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
