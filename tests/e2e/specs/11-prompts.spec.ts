import { api, expect, shoot, test } from "../helpers";
import { createLead, uniq, useSession } from "./leads-helpers";

test("products and prompts: create a product, write a prompt with variables, live preview on a lead, errors with line:column", async ({ page, browser }) => {
  await useSession(page, browser, "tina");
  const lead = await createLead(page, { username: uniq("preview"), full_name: "Greta Preview", followers: 1200 });

  // Products page: add a product with a price variable.
  await page.goto("/products");
  await expect(page.getByRole("heading", { name: "Products", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "New product" }).click();
  const dialog = page.getByRole("dialog", { name: "New product" });
  const productName = uniq("Bar");
  await dialog.getByLabel("Name", { exact: true }).fill(productName);
  await dialog.getByLabel("Description").fill("Vegan protein bars");
  await dialog.getByLabel("Variable 1 name").fill("price");
  await dialog.getByLabel("Variable 1 value").fill("2.99 EUR");
  await dialog.getByRole("button", { name: "Add product" }).click();
  await expect(page.locator('[data-testid="product-row"]', { hasText: productName })).toBeVisible();

  // Prompts: a new prompt for that product; the preview renders the picked lead's name.
  await page.getByRole("navigation").getByRole("link", { name: "Prompts" }).click();
  await page.getByRole("button", { name: "New prompt" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Intro email");
  await page.getByLabel("Product").selectOption({ label: productName });
  const editor = page.getByRole("textbox", { name: "Template", exact: true });
  await editor.fill("Hallo {{full_name}}!\n[IF price_enabled]Nur {{price}}.[ELSE]Frag uns.[/IF]\n");
  await page.getByLabel("Preview on lead").fill(lead.username);
  await page.getByRole("button", { name: new RegExp(`@${lead.username}`) }).click();
  const preview = page.getByTestId("prompt-preview");
  await expect(preview).toContainText("Hallo Greta Preview!");
  await expect(preview).toContainText("Nur 2.99 EUR.");

  // Variable insertion from the server's list.
  await editor.press("End");
  await page.getByRole("button", { name: "Insert variable" }).click();
  await page.getByRole("dialog", { name: "Insert variable" }).getByRole("button", { name: "{{username}}" }).click();
  await expect(editor).toHaveValue(/\{\{username\}\}/);
  await expect(preview).toContainText(lead.username);

  await page.getByRole("button", { name: "Create prompt" }).click();
  await expect(page.getByText("Prompt created.")).toBeVisible();
  await expect(page).toHaveURL(/\/prompts\/[0-9a-f-]{36}$/);
  const versions = page.getByRole("region", { name: "Versions" });
  await expect(versions).toContainText("v1");

  // A mistake: the preview and the save both name it with line:column.
  await editor.fill("Hallo {{full_name}}\n{{nope}} [IF price_enabled] offen");
  const errors = page.getByRole("alert", { name: "Template errors" });
  await expect(errors).toContainText("2:1");
  await expect(errors).toContainText(/nope/);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(errors).toContainText("2:1");
  await expect(page.locator(".tpl-backdrop .tpl-error").first()).toBeVisible();

  // Fixed: saving makes version 2.
  await editor.fill("Hallo {{full_name}}, [IF price_enabled]nur {{price}}[/IF]");
  await expect(errors).toHaveCount(0);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved (version 2).")).toBeVisible();
  await expect(versions).toContainText("v2");
  await expect(preview).toContainText("Hallo Greta Preview, nur 2.99 EUR");
  await shoot(page, "prompts");

  const list = await api(page, "GET", "/prompts");
  expect(list.body.some((p: { name: string; version: number }) => p.name === "Intro email" && p.version === 2)).toBe(true);
});
