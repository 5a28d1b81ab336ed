// Prisma CLI configuration. Only `prisma generate` runs here (no schema engine is available);
// migrations are applied at startup by src/control/migrate.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/control.db" },
});
