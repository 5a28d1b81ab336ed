#!/usr/bin/env node
// `npx summary-pipeline`: runs the TypeScript CLI (src/pipeline/cli.ts) through tsx's loader,
// registered in this process, so no build step is needed and signals reach the CLI directly.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "pipeline", "cli.ts");
await import(pathToFileURL(entry).href);
