// Rolling back a run from its detail page, on the seeded engine database (e2e/fixtures/seed.ts: two
// runs, the second bringing account 1003's late June 2024, a tombstone for 1012's 2024-12 and
// 1001's 2025-01). A viewer sees Roll back blocked; rolling back the first run is offered with
// a warning that every later run goes with it, and cancelling changes nothing; the operator rolls
// back the second (latest) run and its rows are gone from the tables page, the inspector, the runs
// list and the audit trail; a second tab still showing it as rollbackable is refused.
// Runs before runs.spec.ts against the same server: it leaves the seed's two runs listed (the
// second one rolled back) and launches no run, so the injected fault (playwright.config.ts) is
// still there for runs.spec.ts's first launch, whose initial build reads the whole source again.
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { collectConsoleErrors } from "./fixtures/console";
import { E2E_OPERATOR_TOKEN, signInAsOperator } from "./fixtures/operator";
import type { SeedFacts } from "./fixtures/seed";

test.describe.configure({ mode: "serial" });

function seedFacts(): SeedFacts {
  return JSON.parse(fs.readFileSync(path.resolve("e2e/.data/seed.json"), "utf8")) as SeedFacts;
}

function seedRuns(): { first: string; second: string } {
  const [first = "", second = ""] = seedFacts().runs;
  expect(first).toMatch(/^[0-9a-f]{8}$/);
  expect(second).toMatch(/^[0-9a-f]{8}$/);
  return { first, second };
}

const runStatus = (page: Page) => page.getByTestId("run-detail").getByTestId("run-status").first();
const rollbackDialog = (page: Page, runId: string) => page.getByRole("alertdialog", { name: `Roll back run ${runId}?` });

/** The engine's summary table as the tables page shows it: its row count and month range. */
async function summaryOnTablesPage(page: Page): Promise<{ rows: number; months: string }> {
  await page.goto("/tables");
  const row = page.getByTestId("table-row-summary");
  await expect(row.getByTestId("rows")).toHaveText(/^[1-9][\d,]*$/);
  const rows = Number((await row.getByTestId("rows").innerText()).replaceAll(",", ""));
  const months = (await row.getByRole("cell").nth(2).innerText()).trim();
  return { rows, months };
}

test("a viewer sees Roll back blocked, and the server refuses it too", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { second } = seedRuns();

  await page.goto(`/runs/${second}`);
  await expect(page.getByTestId("session-role")).toHaveText("Viewer");
  await expect(runStatus(page)).toHaveText("succeeded");
  const rollback = page.getByTestId("rollback-button");
  await expect(rollback).toBeDisabled();
  const blocked = page.locator('[data-blocked-reason="operator role needed"]').filter({ has: rollback });
  await blocked.hover();
  await expect(page.getByRole("tooltip")).toHaveText("operator role needed");
  await page.screenshot({ path: "e2e/screenshots/rollback-viewer.png", fullPage: true });

  // not only greyed out: the procedure itself is for operators
  const denied = await page.request.post("/api/trpc/runs.rollback", { data: { json: { runId: second } } });
  expect(denied.status()).toBe(403);
  await page.reload();
  await expect(runStatus(page)).toHaveText("succeeded");
  expect(consoleErrors).toEqual([]);
});

test("rolling back an earlier run warns that every later run goes with it; cancelling changes nothing", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { first, second } = seedRuns();

  await page.goto(`/runs/${first}`);
  await signInAsOperator(page);
  await expect(runStatus(page)).toHaveText("succeeded");
  await page.getByTestId("rollback-button").click();
  const dialog = rollbackDialog(page, first);
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("This run and every later run are undone");
  await expect(dialog).toContainText(`go back to what they were before run ${first}`);
  await page.screenshot({ path: "e2e/screenshots/rollback-earlier-run-dialog.png", fullPage: true });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();

  await expect(page.getByTestId("rollback-result")).toHaveCount(0);
  await expect(page.getByTestId("rollback-error")).toHaveCount(0);
  await page.goto("/runs");
  for (const id of [first, second]) {
    await expect(page.getByTestId(`run-row-${id}`).getByTestId("run-status")).toHaveText("succeeded");
  }
  expect(consoleErrors).toEqual([]);
});

test("the operator rolls back the latest run: its rows are gone, and a stale second tab is refused", async ({ page, context }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { first, second } = seedRuns();
  const { backfill, deleted } = seedFacts();
  expect(backfill.runId).toBe(second);

  const signIn = await page.request.post("/api/session", { data: { token: E2E_OPERATOR_TOKEN } });
  expect(signIn.ok()).toBe(true);
  // what the second run brought, before: a month past 2024 in the summary, 1003's late June
  const before = await summaryOnTablesPage(page);
  expect(before.months).toBe("2024-01 … 2025-01");
  await page.goto(`/inspector?account=${backfill.account}`);
  const backfilled = page.getByTestId("strip-balance").locator(`[data-testid="cell"][data-position="${backfill.position}"]`);
  await expect(backfilled).toHaveAttribute("data-null", "false");
  await expect(page.getByTestId(`account-row-${backfill.month}`)).toHaveCount(1);

  // another tab of the same operator, with the confirmation already open on the same run
  const staleTab = await context.newPage();
  const staleErrors = collectConsoleErrors(staleTab);
  await staleTab.goto(`/runs/${second}`);
  await expect(staleTab.getByTestId("session-role")).toHaveText("Operator");
  await staleTab.getByTestId("rollback-button").click();
  await expect(rollbackDialog(staleTab, second)).toBeVisible();

  await page.goto(`/runs/${second}`);
  await expect(page.getByTestId("session-role")).toHaveText("Operator");
  await expect(runStatus(page)).toHaveText("succeeded");
  await page.getByTestId("rollback-button").click();
  const dialog = rollbackDialog(page, second);
  await expect(dialog).toContainText(`go back to what they were before run ${second}`);
  await dialog.getByTestId("confirm-rollback").click();
  await expect(dialog).toBeHidden();

  // the outcome on the page: what was undone, the rows before and after, the run's new status
  const outcome = page.getByTestId("rollback-result");
  await expect(outcome).toBeVisible();
  await expect(outcome).toContainText(`Rolled back run ${second} in`);
  await expect(outcome.getByRole("link", { name: second })).toHaveAttribute("href", `/runs/${second}`);
  // the forward month and the backfill were new rows; the tombstone flagged a row that stays
  await expect(outcome).toContainText(`Summary rows ${before.rows} → ${before.rows - 2} · accounts restored`);
  await expect(outcome).toContainText(/accounts restored [1-9]/);
  await expect(runStatus(page)).toHaveText("rolled back");
  await expect(page.getByTestId("rollback-button")).toHaveCount(0); // a rolled-back run is not offered again
  await expect(page.getByRole("button", { name: "Resume" })).toHaveCount(0);
  await expect(page.getByTestId("run-history")).toContainText(`rolled back run ${second}`);
  await page.screenshot({ path: "e2e/screenshots/rollback-done.png", fullPage: true });

  // the stale tab confirms too late: refused, saying why
  await rollbackDialog(staleTab, second).getByTestId("confirm-rollback").click();
  await expect(rollbackDialog(staleTab, second)).toBeHidden();
  await expect(staleTab.getByTestId("rollback-error")).toHaveText(`Roll back refused: run ${second} is already rolled back`);
  await expect(staleTab.getByTestId("rollback-result")).toHaveCount(0);
  // the refusal refreshes the page: the run's status as it is now, no Roll back offered any more
  await expect(runStatus(staleTab)).toHaveText("rolled back");
  await expect(staleTab.getByTestId("rollback-button")).toHaveCount(0);
  await staleTab.screenshot({ path: "e2e/screenshots/rollback-refused.png", fullPage: true });
  await staleTab.reload();
  await expect(runStatus(staleTab)).toHaveText("rolled back");
  await expect(staleTab.getByTestId("rollback-button")).toHaveCount(0);
  await staleTab.close();
  // the refused request is all the browser reports: the response's status, and tRPC's logger link
  // (src/trpc/client.tsx logs a failed operation in production too)
  const refusalLogged = new RegExp(`runs\\.rollback[\\s\\S]*TRPCClientError: run ${second} is already rolled back`);
  expect(staleErrors).toHaveLength(2);
  expect(staleErrors).toContain("Failed to load resource: the server responded with a status of 412 (Precondition Failed)");
  expect(staleErrors.filter((e) => refusalLogged.test(e))).toHaveLength(1);

  // the runs list: the second run rolled back, the first one untouched
  await page.goto("/runs");
  await expect(page.getByTestId(`run-row-${second}`).getByTestId("run-status")).toHaveText("rolled back");
  await expect(page.getByTestId(`run-row-${first}`).getByTestId("run-status")).toHaveText("succeeded");

  // the tables: the run's rows are gone, the month it added too
  const after = await summaryOnTablesPage(page);
  expect(after).toEqual({ rows: before.rows - 2, months: "2024-01 … 2024-12" });
  await page.screenshot({ path: "e2e/screenshots/rollback-tables.png", fullPage: true });

  // the inspector: 1003's late June is a gap again, and 1012's December is live again
  await page.goto(`/inspector?account=${backfill.account}`);
  await expect(backfilled).toHaveAttribute("data-null", "true");
  await expect(page.getByTestId(`account-row-${backfill.month}`)).toHaveCount(0);
  await page.goto(`/inspector?account=${deleted.account}`);
  await expect(page.getByTestId("latest-month")).toHaveText(deleted.month);
  const december = page.getByTestId(`account-row-${deleted.month}`);
  await expect(december).toBeVisible();
  await expect(december).not.toContainText("deleted");
  await expect(december).not.toContainText("DA");

  // the audit trail: the rollback by the dashboard's operator, then the stale tab's refusal
  await page.goto("/audit?type=run.rollback");
  const events = page.getByTestId("audit-row");
  await expect(events).toHaveCount(2);
  await expect(events.nth(0).getByTestId("audit-level")).toHaveText("error");
  await expect(events.nth(0).getByTestId("audit-message")).toHaveText(
    `rollback of run ${second} refused: run ${second} is already rolled back`,
  );
  await expect(events.nth(1).getByTestId("audit-level")).toHaveText("warn");
  await expect(events.nth(1).getByTestId("audit-message")).toHaveText(`rolled back run ${second}`);
  await expect(events.nth(1).getByTestId("audit-run-link")).toHaveAttribute("href", `/runs/${second}`);
  await page.screenshot({ path: "e2e/screenshots/rollback-audit.png", fullPage: true });
  expect(consoleErrors).toEqual([]);
});
