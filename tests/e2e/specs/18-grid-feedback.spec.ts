// What the grid tells a user while they work: a loading state instead of blank rows (new search, far jump),
// Undo/Redo only when there is something to undo and a toast that says what was undone, the focus back on the
// grid after the details drawer, shift-click on row markers for a range, and search/filters/sort in the URL.
import type { Page } from "@playwright/test";
import { api, createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { createLead, editCell, getLead, gridRows, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

const USER = "greta";

async function importRows(page: Page, tag: string, n: number) {
  const rows = Array.from({ length: n }, (_, i) => `${tag}_${String(i).padStart(4, "0")},${i}`).join("\n");
  const cookies = await page.context().cookies();
  const csrf = decodeURIComponent(cookies.find((c) => c.name === "leadgen_csrf")?.value ?? "");
  const up = await page.request.post("/api/v1/imports?filename=many.csv", {
    headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrf },
    data: `username,followers\n${rows}\n`,
  });
  const draft = await up.json();
  const run = await api(page, "POST", `/imports/${draft.id}/run`, { mapping: draft.mapping, dedupe: "skip", key: "username" });
  expect(run.status).toBe(202);
  await expect.poll(async () => (await api(page, "GET", `/imports/${draft.id}`)).body.status, { timeout: 60_000 }).toBe("done");
}

test.describe("grid feedback", () => {
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

  test("a new search and a far jump show a loading state, not blank rows", async ({ page }) => {
    const tag = uniq("far");
    await importRows(page, tag, 1200);
    await page.goto("/leads");
    await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
    await expect(page).toHaveURL(new RegExp(`q=${tag}`));
    await expect(page.getByTestId("lead-count")).toHaveText(`${(1200).toLocaleString("en-US")} leads`);
    const loading = page.getByTestId("grid-loading");
    await expect(loading).toBeHidden();
    // A slow server: every page of rows takes a second.
    await page.route("**/api/v1/leads?*", async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.continue();
    });
    await selectCell(page, 0, 0);
    await page.keyboard.press("Control+End");
    await expect(loading).toBeVisible();
    await expect(loading).toContainText("Loading rows");
    await expect(loading).toBeHidden({ timeout: 15_000 });
    await expect.poll(async () => (await gridRows(page)).at(-1)?.[0]).toBe(`${tag}_0000`);

    await page.getByRole("searchbox", { name: "Search leads" }).fill(`${tag}_000`);
    await expect(loading).toBeVisible();
    await expect(page.getByTestId("lead-count")).toHaveText("10 leads");
    await expect(loading).toBeHidden();
  });

  test("undo and redo say what they did and are off when there is nothing to do", async ({ page }) => {
    const lead = await createLead(page, { username: uniq("undo"), full_name: "Alt" });
    await openLeads(page, lead.username, 1);
    const undo = page.getByRole("button", { name: "Undo" });
    const redo = page.getByRole("button", { name: "Redo" });
    await expect(undo).toBeDisabled();
    await expect(redo).toBeDisabled();
    await editCell(page, 0, 1, "Neu");
    await expect.poll(async () => (await getLead(page, lead.id)).full_name).toBe("Neu");
    await expect(undo).toBeEnabled();
    await undo.click();
    await expect(page.getByText(`Undid Full name of ${lead.username}.`)).toBeVisible();
    await expect.poll(async () => (await getLead(page, lead.id)).full_name).toBe("Alt");
    await expect(undo).toBeDisabled();
    await expect(redo).toBeEnabled();
    await redo.click();
    await expect(page.getByText(`Redid Full name of ${lead.username}.`)).toBeVisible();
    await expect(redo).toBeDisabled();
  });

  test("the drawer gives the focus back to the grid; shift-click on row markers selects a range", async ({ page }) => {
    const tag = uniq("focus");
    for (let i = 0; i < 4; i++) await createLead(page, { username: `${tag}_${i}` });
    await openLeads(page, tag, 4);
    await selectCell(page, 1, 0);
    await page.keyboard.press("Alt+Enter");
    const drawer = page.locator(".lead-drawer");
    await expect(drawer).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(drawer).toHaveCount(0);
    expect(await page.evaluate(() => !!document.activeElement?.closest("[data-testid=lead-grid]"))).toBe(true);
    // The keyboard works on the grid again: Alt+Enter reopens the same lead.
    const name = (await gridRows(page))[1][0];
    await page.keyboard.press("Alt+Enter");
    await expect(page.getByRole("dialog", { name: `@${name}` })).toBeVisible();
    await page.keyboard.press("Escape");

    const box = await page.getByTestId("data-grid-canvas").boundingBox();
    if (!box) throw new Error("no grid");
    await page.mouse.click(box.x + 24, box.y + 34 + 0 * 32 + 16);
    await page.keyboard.down("Shift");
    await page.mouse.click(box.x + 24, box.y + 34 + 2 * 32 + 16);
    await page.keyboard.up("Shift");
    await expect(page.getByRole("button", { name: "Delete 3 rows" })).toBeVisible();
  });

  test("search, filters and sort live in the URL: a reload or a shared link opens the same view", async ({ page, browser }) => {
    const tag = uniq("url");
    await createLead(page, { username: `${tag}_a`, followers: 5, status: "qualified" });
    await createLead(page, { username: `${tag}_b`, followers: 50, status: "qualified" });
    await createLead(page, { username: `${tag}_c`, followers: 500, status: "new" });
    await openLeads(page, tag, 3);
    await page.getByRole("button", { name: "Sort" }).click();
    await page.getByRole("combobox", { name: "Sort column 1" }).selectOption("followers");
    await page.getByRole("combobox", { name: "Sort direction 1" }).selectOption("asc");
    await page.keyboard.press("Escape");
    await page.goto(page.url().replace(/([?&])f=[^&]*/, "$1") + `&f=${encodeURIComponent(JSON.stringify({ statuses: ["qualified"] }))}`);
    await expect(page.getByTestId("lead-count")).toHaveText("2 leads");
    const url = new URL(page.url());
    expect(url.searchParams.get("q")).toBe(tag);
    expect(url.searchParams.get("sort")).toBe("followers:asc");

    // Someone else opens the link: the same leads in the same order.
    const other = await newPage(browser);
    await useSession(other, browser, USER);
    await other.goto(url.pathname + url.search);
    await expect(other.getByTestId("lead-count")).toHaveText("2 leads");
    await expect(other.getByRole("searchbox", { name: "Search leads" })).toHaveValue(tag);
    await expect.poll(async () => (await gridRows(other)).map((r) => r[0])).toEqual([`${tag}_a`, `${tag}_b`]);
    await other.context().close();
  });
});
