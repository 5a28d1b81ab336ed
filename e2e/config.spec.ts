// The config editor: a viewer may draft but not save; the operator's invalid expression is shown
// at its field and nothing is saved; a valid edit is saved as a version and its diff shown.
// Nothing is activated here: activation writes the config file, which is the e2e fixture.
import { expect, test, type Page } from "@playwright/test";
import { collectConsoleErrors } from "./fixtures/console";
import { E2E_OPERATOR_TOKEN } from "./fixtures/operator";

/** From the top: the editor's toolbar is sticky, and would be drawn where the page was scrolled to. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}

const mapperField = (page: Page) => page.locator('[data-field="rolling_columns[0].mapper_expr"]');

test("a viewer can draft and validate but not save", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  await page.goto("/config");
  await expect(page.getByRole("heading", { name: "Config", exact: true })).toBeVisible();
  await expect(page.getByTestId("config-viewer-hint")).toBeVisible();
  await expect(page.getByTestId("version-row")).toHaveCount(1);
  await expect(page.getByTestId("version-row").first()).toContainText("system");
  await expect(page.getByTestId("active-badge")).toHaveCount(1);
  await mapperField(page).locator("input").fill("COALESCE(balance_am, 0) * 2");
  await expect(page.getByTestId("config-status")).toHaveText("valid");
  await expect(page.getByTestId("config-save")).toBeDisabled();
  await expect(page.locator('[data-blocked-reason="operator role needed"]').first()).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test("an invalid expression is shown at its field and not saved; a valid edit is saved with its diff", async ({ page }) => {
  const consoleErrors = collectConsoleErrors(page);
  const signIn = await page.request.post("/api/session", { data: { token: E2E_OPERATOR_TOKEN } });
  expect(signIn.ok()).toBe(true);
  await page.goto("/config");
  await expect(page.getByTestId("config-viewer-hint")).toBeHidden();
  const versions = page.getByTestId("version-row");
  await expect(versions.first()).toBeVisible();
  const before = await versions.count();

  // a table function where a scalar expression goes: the engine's check, shown at the field
  const mapper = mapperField(page).locator("input");
  await expect(mapper).toHaveValue("COALESCE(balance_am, 0)");
  await mapper.fill("read_csv('x')");
  const fieldError = mapperField(page).getByTestId("field-error");
  await expect(fieldError).toContainText("read_csv");
  await expect(page.getByTestId("config-status")).toHaveText("1 problem");
  await expect(page.getByTestId("config-issues")).toContainText("rolling_columns[0].mapper_expr");
  const save = page.getByTestId("config-save");
  await expect(save).toBeDisabled();
  await shoot(page, "config-invalid-expression");

  // a schema error typed in the JSON view lands at the form's field too
  await page.getByRole("tab", { name: "JSON" }).click();
  const json = page.getByTestId("config-json");
  await json.fill(((await json.inputValue()) ?? "").replace('"history_length": 36', '"history_length": 0'));
  await page.getByRole("tab", { name: "Form" }).click();
  await expect(page.locator('[data-field="history_length"]').getByTestId("field-error")).toContainText(/>=\s*1|too small/i);
  // and the expression is still reported, both at their fields
  await expect(fieldError).toContainText("read_csv");
  await expect(page.getByTestId("config-status")).toHaveText("2 problems");
  await shoot(page, "config-invalid-schema");

  // nothing was saved
  await page.reload();
  await expect(versions).toHaveCount(before);

  // a valid edit: saved as a new version, with its diff
  await mapper.fill("COALESCE(balance_am, 0) + 1");
  await expect(fieldError).toHaveCount(0);
  await expect(page.getByTestId("config-status")).toHaveText("valid");
  await page.getByTestId("config-comment").fill("e2e: balance plus one");
  await expect(save).toBeEnabled();
  await save.click();
  const result = page.getByTestId("save-result");
  await expect(result).toContainText(`Saved version ${before + 1}`);
  const diff = result.getByTestId("save-diff");
  await expect(diff).toContainText('-      "mapper_expr": "COALESCE(balance_am, 0)",');
  await expect(diff).toContainText('+      "mapper_expr": "COALESCE(balance_am, 0) + 1",');
  await expect(diff.getByTestId("diff-added")).toHaveText("+1");
  await expect(versions).toHaveCount(before + 1);
  const newest = versions.first();
  await expect(newest).toHaveAttribute("data-version", String(before + 1));
  await expect(newest).toContainText("e2e: balance plus one");
  await expect(newest).toContainText("operator");
  await expect(newest.getByTestId("active-badge")).toHaveCount(0);
  await expect(save).toBeDisabled(); // already saved
  await shoot(page, "config-saved");

  // the version's diff from the list
  await newest.getByTestId("view-diff").click();
  await expect(page.getByTestId("version-dialog")).toContainText('+      "mapper_expr": "COALESCE(balance_am, 0) + 1",');
  await page.keyboard.press("Escape");

  // the save is in the audit trail
  await page.goto("/audit?type=config.save");
  await expect(page.getByTestId("audit-row").first().getByTestId("audit-message")).toHaveText(
    `saved config version ${before + 1}: e2e: balance plus one`,
  );
  expect(consoleErrors).toEqual([]);
});
