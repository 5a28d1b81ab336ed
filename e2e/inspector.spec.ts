// The account inspector and the tables page on the seeded engine database (e2e/fixtures/seed.ts):
// account 1003's June 2024 arrived late, in the second run, as a backfill.
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import type { SeedFacts } from "./fixtures/seed";

function seedFacts(): SeedFacts {
  return JSON.parse(fs.readFileSync(path.resolve("e2e/.data/seed.json"), "utf8")) as SeedFacts;
}

/** Hydration mismatches, failed requests and uncaught errors surface as console errors. */
function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

test("account inspector for an account with a backfill", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { backfill } = seedFacts();

  await page.goto(`/inspector?account=${backfill.account}`);
  await expect(page.getByRole("heading", { name: "Account inspector" })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Account key" })).toHaveValue(backfill.account);
  await expect(page.getByTestId("latest-month")).toHaveText("2024-12");
  await expect(page.getByTestId("strips-month")).toHaveText("2024-12");

  // one cell per month of history, newest first; the late month at its position with its value
  const strip = page.getByTestId("strip-balance");
  await expect(strip.getByTestId("cell")).toHaveCount(36);
  const cell = strip.locator(`[data-testid="cell"][data-position="${backfill.position}"]`);
  await expect(cell).toHaveAttribute("data-month", backfill.month);
  await expect(cell).toHaveText("4.2K");
  await expect(cell).toHaveAccessibleName(`${backfill.month}: 4,242, backfill by run ${backfill.runId}`);
  // months before the account's first report are gaps
  await expect(strip.locator('[data-testid="cell"][data-position="20"]')).toHaveAttribute("data-null", "true");

  // the provenance card on hover: month, value, the run (linked) and the case
  await cell.hover();
  const card = page.getByTestId("cell-card");
  await expect(card).toBeVisible();
  await expect(card).toContainText(backfill.month);
  await expect(card).toContainText("4,242");
  await expect(card.getByTestId("case")).toHaveText("backfill");
  await expect(card.getByTestId("cell-run")).toHaveAttribute("href", `/runs/${backfill.runId}`);
  await page.screenshot({ path: "e2e/screenshots/inspector-backfill.png", fullPage: true });

  // a month the first run wrote says so
  await page.mouse.move(0, 0);
  await expect(card).toBeHidden();
  await strip.locator('[data-testid="cell"][data-position="0"]').focus();
  await expect(page.getByTestId("cell-card").getByTestId("case")).toHaveText("new account");

  // the payment grid: one character per month, placeholders for months without a value
  const grid = page.getByTestId("grid-payment_history_grid");
  await expect(grid.locator("code span")).toHaveCount(36);
  await expect(grid.locator('code span[data-placeholder="true"]')).toHaveCount(24);
  await expect(grid.locator("code span").nth(backfill.position)).toHaveText("2");

  // selecting the backfilled row shows its own arrays: the late value is now element 0
  await page.getByTestId(`account-row-${backfill.month}`).click();
  await expect(page.getByTestId("strips-month")).toHaveText(backfill.month);
  await expect(page).toHaveURL(new RegExp(`month=${backfill.month}`));
  await expect(strip.locator('[data-testid="cell"][data-position="0"]')).toHaveText("4.2K");
  await page.getByRole("button", { name: "Show the latest row" }).click();
  await expect(page.getByTestId("strips-month")).toHaveText("2024-12");

  expect(consoleErrors).toEqual([]);
});

test("account inspector answers an unknown account and a key the table cannot hold", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { deleted } = seedFacts();

  await page.goto("/inspector");
  await expect(page.getByTestId("inspector-intro")).toBeVisible();
  await page.getByRole("textbox", { name: "Account key" }).fill("999999");
  await page.getByRole("button", { name: "Inspect" }).click();
  await expect(page).toHaveURL(/account=999999/);
  await expect(page.getByTestId("account-not-found")).toContainText("No such account");

  // the account keys are BIGINT: the server's message, not a stack
  await page.goto("/inspector?account=abc%27%3B%20DROP%20TABLE%20summary");
  await expect(page.getByTestId("inspector-error")).toHaveText(`account keys are integers here; "abc'; DROP TABLE summary" is not one`);
  await page.screenshot({ path: "e2e/screenshots/inspector-bad-key.png", fullPage: true });

  // a soft-deleted latest month: latest_summary falls back, the row stays, flagged
  await page.goto(`/inspector?account=${deleted.account}`);
  await expect(page.getByTestId("latest-month")).toHaveText("2024-11");
  const row = page.getByTestId(`account-row-${deleted.month}`);
  await expect(row).toContainText("deleted");
  await expect(row).toContainText("DA");
  // its arrays: element 0 is NULL (the tombstone), the history before it stays
  await row.click();
  await expect(page.getByTestId("strips-month")).toHaveText(deleted.month);
  const balance = page.getByTestId("strip-balance");
  await expect(balance.locator('[data-testid="cell"][data-position="0"]')).toHaveAttribute("data-null", "true");
  await expect(balance.locator('[data-testid="cell"][data-position="1"]')).toHaveAttribute("data-null", "false");
  await page.screenshot({ path: "e2e/screenshots/inspector-deleted-row.png", fullPage: true });

  expect(consoleErrors).toEqual([]);
});

test("partitions and tables show the seeded engine's stats", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const { runs } = seedFacts();

  await page.goto("/tables");
  await expect(page.getByRole("heading", { name: "Partitions & tables" })).toBeVisible();
  await expect(page.getByTestId("tables-empty")).toHaveCount(0);

  const summaryRows = Number((await page.getByTestId("table-row-summary").getByTestId("rows").innerText()).replaceAll(",", ""));
  expect(summaryRows).toBeGreaterThan(0);
  await expect(page.getByTestId("table-row-summary")).toContainText("2024-01 … 2025-01");

  const partitions = page.getByTestId("chart-partition-rows");
  await expect(partitions.locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(partitions.locator(".recharts-reference-line")).toHaveCount(1);
  await expect(page.getByTestId("partition-skew")).toContainText(/skew \d+\.\d\d/);
  await expect(page.getByTestId("chart-null-density").locator(".recharts-line")).toHaveCount(2);

  const counts = page.getByTestId("run-case-counts");
  for (const runId of runs) await expect(counts.getByRole("link", { name: runId })).toBeVisible();
  await expect(page.getByTestId("run-phase-timings")).toContainText("execute");
  await page.screenshot({ path: "e2e/screenshots/tables.png", fullPage: true });

  expect(consoleErrors).toEqual([]);
});
