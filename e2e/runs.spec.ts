// Runs from the dashboard on the seeded engine database (e2e/fixtures/seed.ts): a viewer cannot
// launch; the operator's first run hits the injected fault (SP_FAULT_INJECTION=permanent-after:1 in
// playwright.config.ts), fails at its 2nd bucket and is resumed from the UI; then a dry run shows the
// plan and a launched run finishes. Serial: the fault fires once per server process, in the first
// run that gets to a 2nd bucket, so the failing run must come before the one expected to succeed.
import { expect, test, type Page } from "@playwright/test";
import { collectConsoleErrors } from "./fixtures/console";
import { signInAsOperator } from "./fixtures/operator";

test.describe.configure({ mode: "serial" });

async function chooseMode(page: Page, label: RegExp): Promise<void> {
  await page.getByTestId("mode-select").click();
  await page.getByRole("option", { name: label }).click();
}

/** Launches a run from the launch panel and returns its id (from the "launched" callout). */
async function launch(page: Page): Promise<string> {
  await page.getByTestId("launch-panel").getByRole("button", { name: "Launch" }).click();
  const launched = page.getByTestId("launched");
  await expect(launched).toBeVisible();
  const id = (await launched.getByRole("link").textContent())?.trim() ?? "";
  expect(id).toMatch(/^[0-9a-f]{8}$/);
  return id;
}

test("a viewer sees the runs but cannot launch, cancel or resume", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  await page.goto("/runs");
  await expect(page.getByRole("heading", { name: "Runs", exact: true })).toBeVisible();
  await expect(page.getByTestId("session-role")).toHaveText("Viewer");
  // the seed's two runs are listed
  await expect(page.getByTestId("runs-table").getByTestId("run-status")).toHaveCount(2);
  const panel = page.getByTestId("launch-panel");
  for (const name of ["Dry run", "Launch"]) {
    await expect(panel.getByRole("button", { name })).toBeDisabled();
  }
  await panel.getByRole("button", { name: "Launch" }).locator("xpath=..").hover();
  await expect(page.getByRole("tooltip")).toHaveText("operator role needed");
  await page.screenshot({ path: "e2e/screenshots/runs-viewer.png", fullPage: true });
  expect(consoleErrors).toEqual([]);
});

test("a run failing on an injected fault is resumed from the UI", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  await page.goto("/runs");
  await signInAsOperator(page);
  await chooseMode(page, /^Initial/);
  const id = await launch(page);

  const row = page.getByTestId(`run-row-${id}`);
  await expect(row.getByTestId("run-status")).toHaveText("failed", { timeout: 45_000 });
  await expect(page.getByTestId("active-run")).toHaveCount(0);
  await page.screenshot({ path: "e2e/screenshots/runs-failed.png", fullPage: true });

  await row.getByRole("link", { name: id }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${id}$`));
  const detail = page.getByTestId("run-detail");
  await expect(detail.getByTestId("run-status").first()).toHaveText("failed");
  await expect(page.getByTestId("run-error")).toContainText("injected permanent fault in bucket");
  await expect(page.getByTestId("failed-attempts")).toContainText("injected permanent fault");
  await expect(page.getByTestId("audit-link")).toHaveAttribute("href", `/audit?run=${id}`);
  await page.screenshot({ path: "e2e/screenshots/run-detail-failed.png", fullPage: true });

  await detail.getByRole("button", { name: "Resume" }).click();
  await expect(detail.getByTestId("run-status").first()).toHaveText("succeeded", { timeout: 45_000 });
  await expect(page.getByTestId("run-error")).toHaveCount(0);
  await expect(page.getByTestId("run-history")).toContainText("run.resume");
  await expect(page.getByTestId("chart-bucket-timeline").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByText(/resumed 1×/)).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/run-detail-resumed.png", fullPage: true });
  expect(consoleErrors).toEqual([]);
});

test("a dry run shows the plan; the launched run finishes with its counts", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  await page.goto("/runs");
  await signInAsOperator(page);
  await chooseMode(page, /^Initial/);

  await page.getByTestId("launch-panel").getByRole("button", { name: "Dry run" }).click();
  const plan = page.getByTestId("dry-run-result");
  await expect(plan).toBeVisible();
  await expect(plan.getByTestId("plan-case-newAccountRecords")).toContainText(/[1-9]/);
  await expect(plan.getByTestId("plan-buckets")).toContainText(/[2-9]|1\d/);
  await expect(plan.getByTestId("plan-months").getByRole("row")).toHaveCount(14); // header + 2024-01 … 2025-01
  await expect(plan.getByTestId("chart-plan-months")).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/runs-dry-run.png", fullPage: true });

  const id = await launch(page);
  await expect(plan).toHaveCount(0);
  const row = page.getByTestId(`run-row-${id}`);
  await expect(row.getByTestId("run-status")).toHaveText("succeeded", { timeout: 45_000 });
  await expect(row.getByTestId("run-rows")).toHaveText(/^[1-9][\d,]*$/);
  await page.screenshot({ path: "e2e/screenshots/runs-succeeded.png", fullPage: true });

  await row.getByRole("link", { name: id }).click();
  await expect(page.getByTestId("run-detail").getByTestId("run-status").first()).toHaveText("succeeded");
  await expect(page.getByTestId("counts-list")).toContainText(/rows inserted [1-9]/);
  await expect(page.getByTestId("chart-case-counts").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("chart-phase-timings")).toBeVisible();
  await expect(page.getByTestId("failed-attempts")).toContainText("Every bucket attempt succeeded");
  await page.screenshot({ path: "e2e/screenshots/run-detail-succeeded.png", fullPage: true });

  await page.goto("/");
  const recent = page.getByTestId("recent-runs");
  await expect(recent.getByRole("link", { name: id })).toBeVisible();
  await expect(recent.getByTestId("chart-case-distribution-by-run").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(recent.getByTestId("chart-phase-timings-by-run").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/overview-runs.png", fullPage: true });
  expect(consoleErrors).toEqual([]);
});
