// The config version a run used (SPEC §5: "a run records the version it used"), shared by the CLI
// and the dashboard. A version is identified by the hash of its canonical JSON, so a run records the
// version whose document is exactly the config it runs — not merely the one marked active, which the
// config file may have drifted from. A config no version holds yet (the file edited by hand, a
// `--config` of its own) becomes a new version, with its author and its diff against the active one.
import { createHash } from "node:crypto";
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import type { PipelineConfig } from "../pipeline/config/schema";
import type { ControlDb } from "./db";

type Tx = Pick<ControlDb, "configVersion" | "auditEvent">;

/** The stored form: the validated config with its defaults, pretty-printed, so diffs show real changes. */
export function canonicalConfigJson(cfg: PipelineConfig): string {
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

export function configHash(json: string): string {
  return createHash("sha256").update(json, "utf8").digest("hex");
}

/** A unified diff of a version against the one that was active when it was stored. */
export function versionDiff(active: { id: number; json: string } | null, json: string, id: number): string {
  return createTwoFilesPatch(
    "pipeline_config.json",
    "pipeline_config.json",
    active?.json ?? "",
    json,
    active ? `version ${active.id} (active)` : "no active version",
    `version ${id}`,
    { headerOptions: FILE_HEADERS_ONLY, context: 3 },
  );
}

export function diffStats(diff: string | null): { added: number; removed: number } | null {
  if (diff === null) return null;
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+") && !line.startsWith("+++")) added++;
    else if (line.startsWith("-") && !line.startsWith("---")) removed++;
  }
  return { added, removed };
}

export async function auditConfig(
  db: Pick<ControlDb, "auditEvent">,
  type: "config.save" | "config.activate",
  actor: string,
  message: string,
  data: Record<string, unknown>,
): Promise<void> {
  await db.auditEvent.create({ data: { type, level: "info", actor, message, data: JSON.stringify(data) } });
}

/**
 * The id of the version holding exactly `config` (the newest such), stored now if none does: the
 * first version of an empty history becomes the active one (as the dashboard imports the file on
 * first use); later ones are stored inactive — activating stays a decision made in the dashboard.
 */
export async function versionForRun(
  db: ControlDb,
  config: PipelineConfig,
  who: { actor: string; source: string },
): Promise<number> {
  // Several processes starting at once on a fresh history all try to store version 1: SQLite
  // refuses all but one writer at once (SQLITE_BUSY when a read transaction turns into a write).
  // The losers try again, and then find the version the winner stored.
  for (let attempt = 0; ; attempt++) {
    try {
      return await findOrStoreVersion(db, config, who);
    } catch (err) {
      if (attempt >= VERSION_ATTEMPTS - 1) throw err;
      await new Promise((resolve) => setTimeout(resolve, (25 + Math.random() * 50) * 2 ** attempt));
    }
  }
}

const VERSION_ATTEMPTS = 6;

async function findOrStoreVersion(db: ControlDb, config: PipelineConfig, who: { actor: string; source: string }): Promise<number> {
  const json = canonicalConfigJson(config);
  const hash = configHash(json);
  return db.$transaction(async (tx: Tx) => {
    const known = await tx.configVersion.findFirst({ where: { hash }, orderBy: { id: "desc" }, select: { id: true } });
    if (known) return known.id;
    const active = await tx.configVersion.findFirst({ where: { active: true }, orderBy: { id: "desc" } });
    const first = (await tx.configVersion.count()) === 0;
    const comment = `used by a run from ${who.source}`;
    const created = await tx.configVersion.create({ data: { author: who.actor, comment, json, hash, active: first } });
    const diff = versionDiff(active, json, created.id);
    await tx.configVersion.update({ where: { id: created.id }, data: { diff } });
    const stats = diffStats(diff);
    await auditConfig(
      tx,
      "config.save",
      who.actor,
      `stored config version ${created.id}${first ? " (active)" : ""}: ${comment}, not saved in the dashboard before`,
      { id: created.id, hash, against: active?.id ?? null, added: stats?.added ?? 0, removed: stats?.removed ?? 0, source: who.source },
    );
    return created.id;
  });
}
