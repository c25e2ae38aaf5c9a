// A value the grid cannot take is refused where it was typed, with the reason, and nothing is sent: letters in
// Followers, a bad e-mail. The New-lead form says what is wrong under every field the same way.
import type { Page } from "@playwright/test";
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { createLead, getLead, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

const USER = "fiona";

/** Types over the selected cell: the first key opens the editor, the rest go into it. */
async function typeOver(page: Page, column: string, text: string) {
  await page.keyboard.type(text[0]);
  const editor = page.getByRole("textbox", { name: column });
  await expect(editor).toBeVisible();
  await editor.pressSequentially(text.slice(1));
  await expect(editor).toHaveValue(text);
}
const COL = { followers: 2, email: 6 };

test.describe("checked cells", () => {
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

  test("letters in Followers and a bad e-mail are refused in place; the old values stay", async ({ page }) => {
    const lead = await createLead(page, { username: uniq("cell"), followers: 8300, email: "ok@example.test" });
    await openLeads(page, lead.username, 1);
    const patches: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PATCH") patches.push(r.url());
    });

    // The grid loads its editor's code with the first edit of the page (keys typed meanwhile are lost, an
    // engine limit): open and close it once, then type over the cell as a user does.
    // (A click that lands while the grid re-renders is retried, as editCell does.)
    await expect(async () => {
      await selectCell(page, 0, COL.followers);
      await page.keyboard.press("Enter");
      await expect(page.getByRole("textbox", { name: "Followers" })).toHaveValue("8300", { timeout: 3000 });
    }).toPass({ timeout: 20_000 });
    await page.keyboard.press("Escape");
    await expect(page.getByRole("textbox", { name: "Followers" })).toHaveCount(0);
    await typeOver(page, "Followers", "lots");
    await page.keyboard.press("Enter");
    const error = page.getByTestId("cell-error");
    await expect(error).toHaveText("A whole number, 0 or more");
    // Still editing: fix it or press Escape.
    await expect(page.getByRole("textbox", { name: "Followers" })).toHaveValue("lots");
    await page.keyboard.press("Escape");
    await expect(error).toHaveCount(0);

    await selectCell(page, 0, COL.email);
    await typeOver(page, "Email", "not-an-email");
    await page.keyboard.press("Enter");
    await expect(error).toHaveText("Not a valid email address");
    await page.keyboard.press("Escape");

    const now = await getLead(page, lead.id);
    expect([now.followers, now.email, now.version]).toEqual([8300, "ok@example.test", lead.version]);
    expect(patches).toEqual([]);

    // A good value goes through the same editor.
    await selectCell(page, 0, COL.followers);
    await typeOver(page, "Followers", "9,000");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await getLead(page, lead.id)).followers).toBe(9000);
  });

  test("the New-lead form names every wrong field and sends nothing", async ({ page }) => {
    await page.goto("/leads");
    await page.getByRole("button", { name: "New lead" }).click();
    const dialog = page.getByRole("dialog", { name: "New lead" });
    const name = uniq("form");
    await dialog.getByLabel("Instagram username").fill(name);
    await dialog.getByLabel("Email").fill("bad@");
    await dialog.getByLabel("Followers").fill("abc");
    let posted = false;
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/api/v1/leads")) posted = true;
    });
    await dialog.getByRole("button", { name: "Add lead" }).click();
    await expect(dialog.getByText("A whole number, 0 or more")).toBeVisible();
    await expect(dialog.getByText("Not a valid email address")).toBeVisible();
    await expect(dialog.getByLabel("Followers")).toHaveAttribute("aria-invalid", "true");
    expect(posted).toBe(false);

    // Fixing a field clears its message; the lead is then added.
    await dialog.getByLabel("Followers").fill("1500");
    await expect(dialog.getByText("A whole number, 0 or more")).toHaveCount(0);
    await dialog.getByLabel("Email").fill("good@example.test");
    await dialog.getByRole("button", { name: "Add lead" }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByText(`Added ${name}.`)).toBeVisible();
  });
});
