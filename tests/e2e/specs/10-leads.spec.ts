import { api, expect, shoot, test } from "../helpers";
import { cellText, clickHeader, createLead, editCell, getLead, gridRows, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

// Default visible columns: username, full name, followers, following, posts, status, email, website, tags, …
const COL = { username: 0, full_name: 1, followers: 2 };
// Left edge of the Followers header: 48 (row markers) + 170 (username) + 170 (full name).
const FOLLOWERS_X = 48 + 170 + 170;

test.describe("leads grid", () => {
  test.beforeEach(async ({ page, browser }) => {
    // tina: a plain user from 06-api-token (with 2FA since 09-profile); signed in once for the file.
    await useSession(page, browser, "tina");
  });

  test("edit cells inline and see them saved; Ctrl+Z undoes", async ({ page }) => {
    const lead = await createLead(page, { username: uniq("edit"), full_name: "Before Name", followers: 10 });
    await openLeads(page, lead.username, 1);
    await expect.poll(() => cellText(page, 0, COL.full_name)).toBe("Before Name");

    await editCell(page, 0, COL.full_name, "After Name");
    await expect.poll(async () => (await getLead(page, lead.id)).full_name).toBe("After Name");
    await editCell(page, 0, COL.followers, "12345");
    await expect.poll(async () => (await getLead(page, lead.id)).followers).toBe(12345);

    // Undo the last edit (followers) from the keyboard.
    await selectCell(page, 0, COL.full_name);
    await page.keyboard.press("Control+z");
    await expect.poll(async () => (await getLead(page, lead.id)).followers).toBe(10);

    // Saved for real: a reload shows the value.
    await page.reload();
    await page.getByRole("searchbox", { name: "Search leads" }).fill(lead.username);
    await expect.poll(() => cellText(page, 0, COL.full_name)).toBe("After Name");

    // An invalid email never leaves the browser: the cell keeps its value and the lead is unchanged.
    const before = await getLead(page, lead.id);
    const emailCol = 6;
    await editCell(page, 0, emailCol, "not-an-email");
    await page.keyboard.press("Escape");
    expect((await getLead(page, lead.id)).version).toBe(before.version);
  });

  test("sort by followers from the header; filter by a numeric preset with a removable chip", async ({ page }) => {
    const tag = uniq("sortx");
    await createLead(page, { username: `${tag}_a`, followers: 10 });
    await createLead(page, { username: `${tag}_b`, followers: 5000 });
    await createLead(page, { username: `${tag}_c`, followers: 300_000 });
    await openLeads(page, tag, 3);

    await clickHeader(page, FOLLOWERS_X);
    await expect(page.locator("[data-testid=lead-grid] th").filter({ hasText: "Followers ▼" })).toHaveCount(1);
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_c`, `${tag}_b`, `${tag}_a`]);
    await clickHeader(page, FOLLOWERS_X);
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_a`, `${tag}_b`, `${tag}_c`]);

    // Numeric preset: 1k–10k leaves one lead; the chip removes the filter again.
    await page.getByRole("combobox", { name: "Followers" }).selectOption("1k-10k");
    await expect(page.getByTestId("lead-count")).toHaveText("1 lead");
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_b`]);
    const chips = page.getByRole("list", { name: "Active filters" });
    await expect(chips).toContainText("Followers: 1k – 10k");
    await page.getByRole("combobox", { name: "Followers" }).selectOption("gt100k");
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_c`]);
    await chips.getByRole("button", { name: /Remove filter Followers/ }).click();
    await expect(page.getByTestId("lead-count")).toHaveText("3 leads");
    // The sort and the page state survive a reload (localStorage).
    await page.reload();
    await expect(page.getByRole("searchbox", { name: "Search leads" })).toHaveValue(tag);
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_a`, `${tag}_b`, `${tag}_c`]);
  });

  test("a conflicting edit from a second session: take theirs, then keep mine", async ({ page }) => {
    const lead = await createLead(page, { username: uniq("conflict"), full_name: "Original" });
    await openLeads(page, lead.username, 1);

    // Someone else changes the lead (with its version) after the grid loaded it.
    const other = await api(page, "PATCH", `/leads/${lead.id}`, { full_name: "Theirs" });
    expect(other.status).toBe(200);

    await editCell(page, 0, COL.full_name, "Mine");
    const conflict = page.getByTestId("conflict");
    await expect(conflict).toBeVisible();
    await expect(conflict.getByTestId("conflict-mine")).toHaveText("Mine");
    await expect(conflict.getByTestId("conflict-theirs")).toHaveText("Theirs");
    expect((await getLead(page, lead.id)).full_name).toBe("Theirs"); // nothing overwritten
    await conflict.getByRole("button", { name: "Take theirs" }).click();
    await expect(conflict).toHaveCount(0);
    await expect.poll(() => cellText(page, 0, COL.full_name)).toBe("Theirs");

    // Again, and this time keep mine.
    const cur = await getLead(page, lead.id);
    const r = await api(page, "PATCH", `/leads/${lead.id}`, { full_name: "Theirs again" });
    expect(r.status).toBe(200);
    expect(r.body.version).toBeGreaterThan(cur.version);
    await editCell(page, 0, COL.full_name, "Mine for real");
    await expect(conflict).toBeVisible();
    await conflict.getByRole("button", { name: "Keep mine" }).click();
    await expect(conflict).toHaveCount(0);
    await expect.poll(async () => (await getLead(page, lead.id)).full_name).toBe("Mine for real");
    await expect.poll(() => cellText(page, 0, COL.full_name)).toBe("Mine for real");
  });

  test("delete a row, then undo from the toast", async ({ page }) => {
    const lead = await createLead(page, { username: uniq("del"), full_name: "Delete Me" });
    await openLeads(page, lead.username, 1);
    await selectCell(page, 0, COL.full_name);
    await page.getByRole("button", { name: "Delete row" }).click();
    await expect(page.getByTestId("lead-count")).toHaveText("0 leads");
    expect((await getLead(page, lead.id)).deleted_at).toBeTruthy();
    const toast = page.locator(".toast", { hasText: `Deleted ${lead.username}.` });
    await toast.getByRole("button", { name: "Undo" }).click();
    await expect(page.getByText("Lead restored.")).toBeVisible();
    await expect(page.getByTestId("lead-count")).toHaveText("1 lead");
    expect((await getLead(page, lead.id)).deleted_at).toBeNull();
  });

  test("bulk edit: select rows with the row markers and set their status at once; undo reverts it", async ({ page }) => {
    const tag = uniq("bulk");
    const a = await createLead(page, { username: `${tag}_a` });
    const b = await createLead(page, { username: `${tag}_b` });
    const c = await createLead(page, { username: `${tag}_c` });
    await openLeads(page, tag, 3);
    await expect.poll(async () => (await gridRows(page)).length).toBe(3);
    const box = (await page.getByTestId("data-grid-canvas").boundingBox())!;
    // Row markers: click the first two rows' checkboxes.
    await page.mouse.click(box.x + 24, box.y + 34 + 16);
    await page.mouse.click(box.x + 24, box.y + 34 + 32 + 16);
    await expect(page.getByRole("button", { name: "Delete 2 rows" })).toBeVisible();
    await page.getByRole("button", { name: "Bulk edit" }).click();
    const panel = page.getByRole("dialog", { name: "Bulk edit" });
    await expect(panel.getByLabel(/2 selected rows/)).toBeChecked();
    await panel.getByRole("combobox", { name: "Field to change" }).selectOption("status");
    await panel.getByRole("combobox", { name: "New value" }).selectOption("qualified");
    await panel.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByText("Changed 2 leads.")).toBeVisible();
    const statuses = async () => Promise.all([a, b, c].map(async (l) => (await getLead(page, l.id)).status));
    const rows = await gridRows(page);
    const first2 = rows.slice(0, 2).map((r) => r[0]);
    await expect.poll(async () => (await statuses()).filter((s) => s === "qualified").length).toBe(2);
    const byName = { [a.username]: a, [b.username]: b, [c.username]: c };
    for (const u of first2) expect((await getLead(page, byName[u].id)).status).toBe("qualified");
    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(async () => (await statuses()).filter((s) => s === "qualified").length).toBe(0);
  });

  test("row details drawer shows every field and the history; phone layout is a card list", async ({ page }) => {
    const lead = await createLead(page, {
      username: uniq("drawer"),
      full_name: "Drawer Person",
      source_hashtag: "veganfood",
      email: "drawer@example.test",
      followers: 4321,
      tags: ["vip"],
    });
    await api(page, "PATCH", `/leads/${lead.id}`, { notes: "called once" });
    await openLeads(page, lead.username, 1);
    await selectCell(page, 0, COL.full_name);
    await page.getByRole("button", { name: "Details" }).click();
    const drawer = page.getByRole("dialog", { name: `@${lead.username}` });
    await expect(drawer).toBeVisible();
    await expect(drawer).toContainText("Found via #veganfood");
    await expect(drawer.getByLabel("Email", { exact: true })).toHaveValue("drawer@example.test");
    await expect(drawer.getByRole("region", { name: "History" })).toContainText("notes");
    await drawer.getByLabel("Full name").fill("Drawer Person 2");
    await drawer.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(async () => (await getLead(page, lead.id)).full_name).toBe("Drawer Person 2");
    await page.keyboard.press("Escape");
    await expect(drawer).toHaveCount(0);

    // A few more leads so the screenshots show a sheet.
    await page.getByRole("searchbox", { name: "Search leads" }).fill("");
    await expect(page.getByTestId("lead-count")).not.toHaveText("1 lead");
    await shoot(page, "leads");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("searchbox", { name: "Search leads" }).fill(lead.username);
    const card = page.getByTestId("lead-card");
    await expect(card).toHaveCount(1);
    await expect(card).toContainText("Drawer Person 2");
    await card.click();
    await expect(page.getByRole("dialog", { name: `@${lead.username}` })).toBeVisible();
  });

});

test("a viewer sees the leads read-only: no edit controls, and the API refuses writes", async ({ page, browser }) => {
  // vera (viewer, 2FA) from 04-admin-viewer; tina's leads are not hers, so she makes none and sees her own empty sheet.
  await useSession(page, browser, "vera");
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "Leads", level: 1 })).toBeVisible();
  await expect(page.getByTestId("lead-count")).toHaveText(/\d+ leads?/);
  await expect(page.getByRole("button", { name: "Export", exact: true })).toBeVisible();
  for (const name of ["New lead", "Import CSV", "Undo", "Redo", "Bulk edit"]) {
    await expect(page.getByRole("button", { name, exact: true })).toHaveCount(0);
  }
  const r = await api(page, "POST", "/leads", { username: uniq("viewer") });
  expect(r.status).toBe(403);
});

