// A new product's dialog as a new user meets it, on a desktop and a phone: the variables table fits (the "On"
// toggle and the remove button in sight), its first row shows examples as placeholders, not values; a new
// prompt starts from a template that is valid.
import type { Locator, Page } from "@playwright/test";
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { useSession } from "./leads-helpers";

const USER = "paul";
const SHOTS = process.env.WSUI_SHOTS;

async function inside(inner: Locator, outer: Locator) {
  const [a, b] = [await inner.boundingBox(), await outer.boundingBox()];
  if (!a || !b) throw new Error("not visible");
  expect(a.x).toBeGreaterThanOrEqual(b.x - 0.5);
  expect(a.x + a.width).toBeLessThanOrEqual(b.x + b.width + 0.5);
}

async function checkDialog(page: Page, label: string) {
  await page.goto("/products");
  await page.getByRole("button", { name: "New product" }).click();
  const dialog = page.getByRole("dialog", { name: "New product" });
  await expect(dialog).toBeVisible();
  const name = dialog.getByLabel("Variable 1 name");
  await expect(name).toHaveValue("");
  await expect(name).toHaveAttribute("placeholder", /price/);
  await expect(dialog.getByLabel("Variable 1 value")).toHaveValue("");
  const table = dialog.getByTestId("var-table");
  for (const l of [dialog.getByLabel("Variable 1 enabled"), dialog.getByRole("button", { name: "Remove variable 1" }), table]) {
    await expect(l).toBeInViewport();
    await inside(l, dialog);
  }
  // The dialog scrolls only up and down.
  const overflow = await dialog.evaluate((el) => {
    const body = el.querySelector(".modal-body") ?? el;
    return body.scrollWidth - body.clientWidth;
  });
  expect(overflow).toBeLessThanOrEqual(0);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/product-dialog-${label}.png` });
  return dialog;
}

test.describe("products and prompts for a new user", () => {
  test.beforeAll(async ({ browser }) => {
    if (loadAccount(USER).password) return;
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, USER, "user");
    await admin.context().close();
  });

  test.beforeEach(async ({ page, browser }) => {
    await useSession(page, browser, USER);
  });

  test("the New product dialog fits on a desktop and a phone, with placeholders in its first row", async ({ page }) => {
    const dialog = await checkDialog(page, "desktop");
    // Filled in, it saves the product with its variable.
    await dialog.getByLabel("Name").first().fill("Website-Paket");
    await dialog.getByLabel("Variable 1 name").fill("price");
    await dialog.getByLabel("Variable 1 value").fill("49 € im Monat");
    await dialog.getByRole("button", { name: "Add product" }).click();
    await expect(page.getByTestId("product-row")).toContainText("Website-Paket");

    await page.setViewportSize({ width: 390, height: 844 });
    await checkDialog(page, "phone");
  });

  test("a new prompt opens with a template that has no errors", async ({ page }) => {
    await page.goto("/prompts/new");
    const template = page.getByLabel("Template");
    await expect(template).toContainText("{{full_name}}");
    // The live preview has rendered the template (it shows the errors instead when there are any).
    await expect(page.getByText("Fix the template errors to see the preview.")).toHaveCount(0);
    await expect(page.getByRole("list", { name: "Template errors" })).toHaveCount(0);
    await page.getByLabel("Name").fill("Erstkontakt");
    await page.getByRole("button", { name: /Create|Save/ }).first().click();
    await expect(page.getByText("Prompt created.")).toBeVisible();
  });
});
