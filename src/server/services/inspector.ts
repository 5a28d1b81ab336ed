// The account inspector's data: one account's summary rows with the provenance of each month
// (SPEC §10), plus the grid placeholders so the page can show which characters mean "no value".
import { inspectAccount, type AccountHistory } from "@/pipeline/inspect/account";
import { readEngine, type EngineHostSource } from "./engine-read";

export interface InspectedAccount extends AccountHistory {
  /** Grid column name → its placeholder character. */
  gridPlaceholders: Record<string, string>;
}

export function readAccount(engineHost: EngineHostSource, account: string): Promise<InspectedAccount> {
  return readEngine(engineHost, async (conn, config) => {
    const history = await inspectAccount(conn, config, account);
    return { ...history, gridPlaceholders: Object.fromEntries(config.grid_columns.map((g) => [g.name, g.placeholder])) };
  });
}
