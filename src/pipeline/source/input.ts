// What a run reads: for a table source, a watermark range of base_ts; for a file source, the files
// (path, size, content hash) not yet in the manifest. Recorded with the run, so a resume reads
// exactly the same input even if new data arrived meanwhile.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineConfig } from "../config/schema";
import { queryOne, queryRows, quoteIdent, quoteString } from "../engine/duckdb";
import { PipelineError } from "../errors";
import { stateTable, tableExists } from "../state/store";

export interface SourceFile {
  path: string;
  size: number;
  hash: string;
}

export type RunInput =
  | {
      kind: "table";
      table: string;
      fromTs: string | null;
      toTs: string | null;
      /**
       * An incremental run also reads the rows with a NULL or unparsable base_ts that no run has
       * quarantined yet (the watermark's range cannot hold them).
       */
      untimed?: boolean;
    }
  | { kind: "files"; format: "csv" | "parquet"; files: SourceFile[] };

export function sourceKey(cfg: PipelineConfig): string {
  return cfg.source.kind === "table" ? `table:${cfg.source.name}` : `files:${cfg.source.glob}`;
}

/** The directory a glob's files live under (its part before the first wildcard). */
export function globBaseDirectory(glob: string): string {
  const abs = path.resolve(glob);
  const parts = abs.split(path.sep);
  const idx = parts.findIndex((p) => /[*?[{]/.test(p));
  const fixed = idx === -1 ? parts.slice(0, -1) : parts.slice(0, idx);
  return fixed.join(path.sep) || path.sep;
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash("sha256");
  await new Promise<void>((resolve, reject) => {
    const s = fs.createReadStream(file);
    s.on("data", (chunk) => h.update(chunk));
    s.on("end", () => resolve());
    s.on("error", reject);
  });
  return h.digest("hex");
}

export async function listSourceFiles(conn: DuckDBConnection, glob: string): Promise<string[]> {
  const dir = globBaseDirectory(glob);
  if (!fs.existsSync(dir)) return [];
  const rows = await queryRows(conn, "SELECT file FROM glob($1) ORDER BY file", [path.resolve(glob)]);
  return rows.map((r) => String(r.file));
}

/**
 * The input of a new run. `all` (initial mode) takes the whole source; otherwise only what is new
 * since the last committed run.
 */
export async function discoverInput(conn: DuckDBConnection, cfg: PipelineConfig, all: boolean): Promise<RunInput> {
  if (cfg.source.kind === "table") {
    const table = cfg.source.name;
    if (!(await tableExists(conn, "main", table))) {
      throw new PipelineError("SOURCE", `source table "${table}" does not exist in the engine database`, {
        where: `source.name`,
      });
    }
    const tsCol = cfg.keys.timestamp;
    if (!tsCol) throw new PipelineError("CONFIG_INVALID", "a table source needs keys.timestamp", { where: "keys.timestamp" });
    const wm = all
      ? null
      : await queryOne(conn, `SELECT CAST(ts AS VARCHAR) AS ts FROM ${stateTable("watermark")} WHERE source = $1`, [sourceKey(cfg)]);
    const fromTs = wm?.ts === undefined || wm?.ts === null ? null : String(wm.ts);
    let maxRow;
    try {
      maxRow = await queryOne(
        conn,
        `SELECT CAST(max(TRY_CAST(${quoteIdent(tsCol)} AS TIMESTAMP)) AS VARCHAR) AS ts FROM ${quoteIdent(table)}`,
      );
    } catch (err) {
      throw new PipelineError("SOURCE", `cannot read column "${tsCol}" of source table "${table}": ${firstLine(err)}`, {
        where: "keys.timestamp",
        cause: err,
      });
    }
    const toTs = maxRow?.ts === undefined || maxRow?.ts === null ? null : String(maxRow.ts);
    const untimed =
      fromTs !== null && Number((await queryOne(conn, `SELECT count(*) AS n FROM ${quoteIdent(table)} t WHERE ${untimedRowsSql(cfg, table)}`))?.n ?? 0) > 0;
    return { kind: "table", table, fromTs, toTs: toTs !== null && fromTs !== null && toTs <= fromTs ? fromTs : toTs, ...(untimed ? { untimed } : {}) };
  }
  const files = await listSourceFiles(conn, cfg.source.glob);
  const out: SourceFile[] = [];
  const known = all
    ? new Set<string>()
    : new Set(
        // a path's newest entry: a file back to an earlier content has changed all the same
        (
          await queryRows(
            conn,
            `SELECT path, size, hash FROM ${stateTable("manifest")} QUALIFY row_number() OVER (PARTITION BY path ORDER BY ingested_at DESC) = 1`,
          )
        ).map(
          (r) => `${String(r.path)}\u0000${String(r.size)}\u0000${String(r.hash)}`,
        ),
      );
  for (const file of files) {
    const { size, hash } = await fileIdentity(file);
    if (!known.has(`${file}\u0000${size}\u0000${hash}`)) out.push({ path: file, size, hash });
  }
  return { kind: "files", format: cfg.source.format, files: out };
}

/**
 * Rows `t` of source table `table` with a NULL or unparsable base_ts that the quarantine does not
 * hold yet (it holds each record as the JSON of its row).
 */
export function untimedRowsSql(cfg: PipelineConfig, table: string): string {
  const ts = `TRY_CAST(t.${quoteIdent(cfg.keys.timestamp ?? "base_ts")} AS TIMESTAMP)`;
  return `${ts} IS NULL AND CAST(to_json(t) AS VARCHAR) NOT IN (
            SELECT record FROM ${quoteIdent(cfg.tables.quarantine)}
            WHERE source = ${quoteString(table)} AND reason IN ('null timestamp', 'unparsable timestamp') AND record IS NOT NULL)`;
}

/** A source file's size and content hash, as the manifest identifies it. */
export async function fileIdentity(file: string): Promise<{ size: number; hash: string }> {
  try {
    return { size: fs.statSync(file).size, hash: await hashFile(file) };
  } catch (err) {
    throw new PipelineError("SOURCE", `cannot read source file ${file}: ${firstLine(err)}`, { where: file, cause: err, retryable: true });
  }
}

export function inputIsEmpty(input: RunInput): boolean {
  return input.kind === "files" ? input.files.length === 0 : (input.toTs === null || input.toTs === input.fromTs) && !input.untimed;
}

export function describeInput(input: RunInput): string {
  if (input.kind === "files") return `${input.files.length} file(s)`;
  return `table ${input.table} base_ts in (${input.fromTs ?? "-∞"}, ${input.toTs ?? "-∞"}]${input.untimed ? " and rows without a base_ts" : ""}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
