// Config versions (SPEC §5, §8): every saved config is a version (who, when, comment, hash, diff
// against the active one); activating a version writes it to the config file the engine reads.
// A version is only ever stored valid — the same zod schema as the engine plus the engine's own
// expression checks — so a bad config never reaches the engine.
import fs from "node:fs";
import path from "node:path";
import { auditConfig as audit, canonicalConfigJson, configHash, diffStats, versionDiff } from "@/control/config-versions";
import type { ControlDb } from "@/control/db";
import type { ConfigVersion } from "@/generated/prisma/client";
import { checkConfigExpressions, checkExpression } from "@/pipeline/config/expr";
import { parseConfigText, zodIssues } from "@/pipeline/config/load";
import { configSchema, type PipelineConfig } from "@/pipeline/config/schema";
import type { Engine } from "@/pipeline/engine/duckdb";
import { describeError, isPipelineError, PipelineError, type ErrorIssue } from "@/pipeline/errors";
import { tableColumns } from "@/pipeline/state/store";
import { MAX_COMMENT, MAX_CONFIG_TEXT } from "../api/schemas/config";
import { pipelineConfigPath } from "./config";


export type ValidationResult = { ok: true; issues: []; config: PipelineConfig } | { ok: false; issues: ErrorIssue[] };

function invalid(issues: ErrorIssue[]): ValidationResult {
  return { ok: false, issues };
}

/**
 * The source columns expressions may read: the source table's, when the config's source is a table
 * of this engine's database that exists; otherwise unknown (null), and names are checked for shape only.
 */
async function knownSourceColumns(engine: Engine, cfg: PipelineConfig): Promise<string[] | null> {
  if (cfg.source.kind !== "table") return null;
  if (engine.database === ":memory:" || path.resolve(cfg.engine.database) !== engine.database) return null;
  const conn = await engine.connect();
  try {
    const columns = await tableColumns(conn, "main", cfg.source.name);
    return columns.length > 0 ? columns.map((c) => c.name) : null;
  } finally {
    conn.closeSync();
  }
}

/**
 * The engine's verdict on each expression of a document the schema refused, field by field (source
 * columns unknown): expressions that are strings and not already reported.
 */
async function expressionIssuesOf(engine: Engine, doc: unknown, reported: ReadonlySet<string>): Promise<ErrorIssue[]> {
  const fields: { path: string; expr: string }[] = [];
  const collect = (list: string, key: string) => {
    const items = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)[list] : undefined;
    if (!Array.isArray(items)) return;
    items.forEach((item: unknown, i) => {
      const expr = typeof item === "object" && item !== null ? (item as Record<string, unknown>)[key] : undefined;
      const path = `${list}[${i}].${key}`;
      if (typeof expr === "string" && expr.trim() !== "" && !reported.has(path)) fields.push({ path, expr });
    });
  };
  collect("rolling_columns", "mapper_expr");
  collect("columns", "expr");
  if (fields.length === 0) return [];
  const issues: ErrorIssue[] = [];
  const conn = await engine.connect();
  try {
    for (const f of fields) {
      try {
        await checkExpression(conn, f.expr, { field: f.path, allowedColumns: null });
      } catch (err) {
        if (!(isPipelineError(err) && err.code === "CONFIG_INVALID")) throw err;
        issues.push(...err.issues);
      }
    }
  } finally {
    conn.closeSync();
  }
  return issues;
}

/**
 * Validates a config document: JSON syntax, the zod schema (issues with field paths such as
 * `rolling_columns[2].data_type`), then every expression parsed and checked by the engine.
 */
export async function validateConfig(engine: Engine, text: string): Promise<ValidationResult> {
  if (text.length > MAX_CONFIG_TEXT) return invalid([{ path: "(root)", message: `must be at most ${MAX_CONFIG_TEXT} characters` }]);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return invalid([{ path: "(root)", message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    // the expressions are still worth checking: a draft is often wrong in more than one place
    const issues = zodIssues(parsed.error);
    return invalid([...issues, ...(await expressionIssuesOf(engine, doc, new Set(issues.map((i) => i.path))))]);
  }
  const cfg = parsed.data;
  const sourceColumns = await knownSourceColumns(engine, cfg);
  const conn = await engine.connect();
  try {
    await checkConfigExpressions(conn, cfg, sourceColumns);
  } catch (err) {
    if (isPipelineError(err) && err.code === "CONFIG_INVALID") {
      return invalid(err.issues.length > 0 ? err.issues : [{ path: "(root)", message: err.message }]);
    }
    throw err;
  } finally {
    conn.closeSync();
  }
  return { ok: true, issues: [], config: cfg };
}

// one import at a time per client: two first requests must not both create version 1
const importing = new WeakMap<ControlDb, Promise<void>>();

/**
 * On first use, the config file in place becomes version 1 (author "system", active), so history
 * starts from what the engine runs. A missing or invalid file is not imported: there is then no
 * version until one is saved.
 */
export function ensureInitialVersion(db: ControlDb, configPath: string = pipelineConfigPath()): Promise<void> {
  const pending = importing.get(db);
  if (pending) return pending;
  const work = (async () => {
    if ((await db.configVersion.count()) > 0) return;
    let cfg: PipelineConfig;
    try {
      cfg = parseConfigText(fs.readFileSync(/*turbopackIgnore: true*/ configPath, "utf8"), configPath);
    } catch {
      return;
    }
    const json = canonicalConfigJson(cfg);
    await db.$transaction(async (tx) => {
      if ((await tx.configVersion.count()) > 0) return;
      const v = await tx.configVersion.create({
        data: { author: "system", comment: `imported from ${configPath}`, json, hash: configHash(json), active: true },
      });
      await audit(tx, "config.save", "system", `imported the config file as version ${v.id} (active)`, { id: v.id, hash: v.hash, path: configPath });
    });
  })().finally(() => importing.delete(db));
  importing.set(db, work);
  return work;
}

export type ConfigVersionSummary = Omit<ConfigVersion, "json" | "diff"> & {
  /** Lines added and removed against the version that was active when it was saved. */
  changes: { added: number; removed: number } | null;
};

/** Every version, newest first, without its document. */
export async function listVersions(db: ControlDb, configPath: string = pipelineConfigPath()): Promise<ConfigVersionSummary[]> {
  await ensureInitialVersion(db, configPath);
  const rows = await db.configVersion.findMany({ orderBy: { id: "desc" } });
  return rows.map(({ json: _json, diff, ...rest }) => ({ ...rest, changes: diffStats(diff) }));
}

export async function getVersion(db: ControlDb, id: number): Promise<ConfigVersion | null> {
  return db.configVersion.findUnique({ where: { id } });
}

export async function activeVersion(db: ControlDb, configPath: string = pipelineConfigPath()): Promise<ConfigVersion | null> {
  await ensureInitialVersion(db, configPath);
  return db.configVersion.findFirst({ where: { active: true }, orderBy: { id: "desc" } });
}

export interface ConfigFileState {
  path: string;
  /** matches: the file is the active version; differs: edited outside the dashboard. */
  state: "matches" | "differs" | "invalid" | "missing";
  error: string | null;
  /** The file's text when there is no active version to start editing from. */
  text: string | null;
}

/** The active version, and whether the config file on disk still says the same. */
export async function activeConfig(
  db: ControlDb,
  configPath: string = pipelineConfigPath(),
): Promise<{ version: ConfigVersion | null; file: ConfigFileState }> {
  const version = await activeVersion(db, configPath);
  let text: string;
  try {
    text = fs.readFileSync(/*turbopackIgnore: true*/ configPath, "utf8");
  } catch (err) {
    return { version, file: { path: configPath, state: "missing", error: describeError(err), text: null } };
  }
  const withText = version ? null : text;
  try {
    const hash = configHash(canonicalConfigJson(parseConfigText(text, configPath)));
    return { version, file: { path: configPath, state: hash === version?.hash ? "matches" : "differs", error: null, text: withText } };
  } catch (err) {
    return { version, file: { path: configPath, state: "invalid", error: describeError(err), text: withText } };
  }
}

export interface SaveVersionInput {
  text: string;
  author: string;
  comment?: string | null;
  configPath?: string;
}

/**
 * Saves a new (inactive) version. Refuses an invalid document (PipelineError CONFIG_INVALID with
 * every issue; nothing is stored) and one identical to the active version.
 */
export async function saveVersion(db: ControlDb, engine: Engine, input: SaveVersionInput): Promise<ConfigVersion> {
  const configPath = input.configPath ?? pipelineConfigPath();
  const result = await validateConfig(engine, input.text);
  if (!result.ok) {
    const [first] = result.issues;
    const message = result.issues.length === 1 && first ? `${first.path}: ${first.message}` : `the config has ${result.issues.length} problems`;
    throw new PipelineError("CONFIG_INVALID", `not saved: ${message}`, { where: "config", issues: result.issues });
  }
  await ensureInitialVersion(db, configPath);
  const json = canonicalConfigJson(result.config);
  const hash = configHash(json);
  const comment = input.comment?.trim() ? input.comment.trim().slice(0, MAX_COMMENT) : null;
  return db.$transaction(async (tx) => {
    const active = await tx.configVersion.findFirst({ where: { active: true }, orderBy: { id: "desc" } });
    if (active && active.hash === hash) {
      throw new PipelineError("USAGE", `not saved: identical to version ${active.id}, the active one`, { where: "config" });
    }
    const created = await tx.configVersion.create({ data: { author: input.author, comment, json, hash, active: false } });
    const diff = versionDiff(active, json, created.id);
    const saved = await tx.configVersion.update({ where: { id: created.id }, data: { diff } });
    const stats = diffStats(diff);
    await audit(tx, "config.save", input.author, `saved config version ${saved.id}${comment ? `: ${comment}` : ""}`, {
      id: saved.id,
      hash,
      against: active?.id ?? null,
      added: stats?.added ?? 0,
      removed: stats?.removed ?? 0,
    });
    return saved;
  });
}

/** Writes a file so a reader sees the old or the new content, never half of it. */
function writeFileAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, "utf8");
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Makes a version the only active one and writes it to the config file. The file is written last
 * inside the transaction: if it cannot be written, the active version does not change.
 */
export async function activateVersion(
  db: ControlDb,
  input: { id: number; actor: string; configPath?: string },
): Promise<ConfigVersion> {
  const configPath = input.configPath ?? pipelineConfigPath();
  await ensureInitialVersion(db, configPath);
  return db.$transaction(async (tx) => {
    const version = await tx.configVersion.findUnique({ where: { id: input.id } });
    if (!version) throw new PipelineError("USAGE", `there is no config version ${input.id}`, { where: "id" });
    // stored valid, but the schema may have moved on since: never write what the engine would refuse
    parseConfigText(version.json, `config version ${version.id}`);
    const previous = await tx.configVersion.findFirst({ where: { active: true }, orderBy: { id: "desc" } });
    await tx.configVersion.updateMany({ where: { active: true, id: { not: version.id } }, data: { active: false } });
    const activated = await tx.configVersion.update({ where: { id: version.id }, data: { active: true } });
    await audit(tx, "config.activate", input.actor, `activated config version ${version.id} (wrote ${configPath})`, {
      id: version.id,
      hash: version.hash,
      previous: previous?.id ?? null,
      path: configPath,
    });
    writeFileAtomically(configPath, version.json);
    return activated;
  });
}
