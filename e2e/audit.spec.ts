// The audit explorer on the seeded trail (two runs recorded by e2e/fixtures/seed.ts) plus a refused
// request: filtering by type and by text through the URL-backed filters, a run's events by link,
// the expandable data, the empty state, and the CSV export of the filtered trail.
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { collectConsoleErrors } from "./fixtures/console";

const seed = () => JSON.parse(fs.readFileSync(path.resolve("e2e/.data/seed.json"), "utf8")) as { runs: string[] };

/** CSV rows (RFC 4180: quoted fields may hold commas, quotes and newlines). */
function parseCsv(csv: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      out.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  return out;
}

test("the audit trail filters by type and text and exports what it shows as CSV", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const [firstRun] = seed().runs;
  // a refused mutation: the trail records the denial
  const denied = await page.request.post("/api/trpc/config.activate", { data: { json: { id: 1 } } });
  expect(denied.status()).toBe(403);

  await page.goto("/audit");
  await expect(page.getByRole("heading", { name: "Audit" })).toBeVisible();
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toBeVisible();
  const all = await rows.count();
  expect(all).toBeGreaterThan(3);
  // newest first: the denial happened after the seed runs
  await expect(rows.first()).toHaveAttribute("data-type", "auth.denied");

  // by type, through the multi-select
  await page.getByTestId("filter-type").click();
  await page.getByRole("menuitemcheckbox", { name: /^run\.start/ }).click();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/[?&]type=run\.start/);
  await expect(page.getByTestId("filter-type")).toHaveText(/run\.start/);
  await expect(rows).toHaveCount(2);
  for (const type of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-type")))) expect(type).toBe("run.start");
  await expect(page.getByTestId("audit-count")).toHaveText("1–2 of 2 events");

  // a row's data, expanded
  await rows.first().getByTestId("audit-row-toggle").click();
  await expect(page.getByTestId("audit-row-data")).toContainText('"mode"');
  await page.screenshot({ path: "e2e/screenshots/audit-filtered.png", fullPage: true });

  // the export carries the same filters
  const exportLink = page.getByTestId("audit-export");
  await expect(exportLink).toHaveAttribute("href", "/api/audit/export?type=run.start");
  const [download] = await Promise.all([page.waitForEvent("download"), exportLink.click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{8}T\d{6}Z\.csv$/);
  const csv = parseCsv(fs.readFileSync(await download.path(), "utf8"));
  expect(csv[0]).toEqual(["id", "ts", "runId", "type", "level", "actor", "message", "data"]);
  expect(csv).toHaveLength(3);
  for (const r of csv.slice(1)) {
    expect(r[3]).toBe("run.start");
    expect(r[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  }
  expect(csv.slice(1).map((r) => r[2]).sort()).toEqual([...seed().runs].sort());

  // by text (debounced into the URL), with the type filter cleared
  await page.getByTestId("filter-clear").click();
  await expect(rows).toHaveCount(Math.min(all, 50));
  await page.getByTestId("filter-text").fill("CONFIG.ACTIVATE");
  await expect(page).toHaveURL(/[?&]q=CONFIG\.ACTIVATE/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-type", "auth.denied");
  await expect(rows.first().getByTestId("audit-message")).toContainText("denied config.activate");
  await expect(rows.first().getByTestId("audit-level")).toHaveText("warn");

  // nothing matches: the empty state, and the export is just the header
  await page.getByTestId("filter-text").fill("no event says this");
  await expect(page.getByTestId("audit-empty")).toContainText("No events match these filters");
  const empty = await page.request.get((await exportLink.getAttribute("href")) ?? "");
  expect(await empty.text()).toBe("id,ts,runId,type,level,actor,message,data\n");

  // a run's events, as the runs pages link to them
  await page.goto(`/audit?run=${firstRun}`);
  await expect(page.getByTestId("filter-run")).toHaveValue(firstRun ?? "");
  await expect(rows.first()).toBeVisible();
  const links = await rows.getByTestId("audit-run-link").evaluateAll((els) => els.map((e) => e.getAttribute("href")));
  expect(links.length).toBe(await rows.count());
  for (const href of links) expect(href).toBe(`/runs/${firstRun}`);
  await page.screenshot({ path: "e2e/screenshots/audit-run.png", fullPage: true });

  expect(consoleErrors).toEqual([]);
});
