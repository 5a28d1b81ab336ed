// The tables a run writes. Incremental runs write the live tables; an initial run builds fresh
// ones beside them and swaps them in at the end, so readers see the old tables until it commits.
import type { PipelineConfig } from "./config/schema";
import { quoteIdent } from "./engine/duckdb";
import { STATE_SCHEMA, stateTable } from "./state/store";

export interface Targets {
  summary: string;
  latest: string;
  /** The de-duplicated record index V: (acct, mi, ts, seq = run seq · 2^40 + input position, tomb, kase: the case that wrote it). */
  records: string;
  /** Accounts whose V holds records after their newest live month (trailing tombstones). */
  tail: string;
  /** Bare names, for swaps and existence checks. */
  names: { summary: string; latest: string; records: string; tail: string };
}

export function liveTargets(cfg: PipelineConfig): Targets {
  return {
    summary: quoteIdent(cfg.tables.summary),
    latest: quoteIdent(cfg.tables.latest_summary),
    records: stateTable("records"),
    tail: stateTable("tail"),
    names: { summary: cfg.tables.summary, latest: cfg.tables.latest_summary, records: "records", tail: "tail" },
  };
}

export function buildTargets(cfg: PipelineConfig, runId: string): Targets {
  const sfx = `__build_${runId}`;
  return {
    summary: quoteIdent(cfg.tables.summary + sfx),
    latest: quoteIdent(cfg.tables.latest_summary + sfx),
    records: stateTable("records" + sfx),
    tail: stateTable("tail" + sfx),
    names: {
      summary: cfg.tables.summary + sfx,
      latest: cfg.tables.latest_summary + sfx,
      records: "records" + sfx,
      tail: "tail" + sfx,
    },
  };
}

export function workTable(runId: string): string {
  return stateTable(`work_${runId}`);
}

/** A run's stage table: a temporary table of the run's connection, gone when it closes (see buildStage). */
export function stageTableName(runId: string): string {
  return `__sp_stage_${runId}`;
}

export { STATE_SCHEMA };
