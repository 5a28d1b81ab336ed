import { expect, test } from "@playwright/test";

test("the overview shows the engine and the control database as healthy", async ({ page }) => {
  // hydration mismatches and failed requests surface as console errors
  const consoleErrors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(err.message));

  await page.goto("/");

  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Overview" })).toBeVisible();

  const engine = page.getByTestId("health-engine");
  await expect(engine.getByTestId("status")).toHaveText("OK");
  await expect(engine).toContainText(/v\d+\.\d+\.\d+/); // the DuckDB version
  await expect(engine).toContainText("e2e/.data/summary.duckdb");

  const control = page.getByTestId("health-control");
  await expect(control.getByTestId("status")).toHaveText("OK");
  await expect(control).toContainText(/[1-9]\d* applied/);
  await expect(control).toContainText("e2e/.data/control.db");

  await expect(page.getByTestId("health-status")).toHaveText("Healthy");
  await expect(page.getByTestId("health-server")).toContainText(process.versions.node);

  await page.screenshot({ path: "e2e/screenshots/overview-health.png", fullPage: true });
  expect(consoleErrors).toEqual([]);
});
