// The do-not-contact list (add through the page → the matching lead is marked; remove again) and an admin
// reading another user's leads read-only from the Users page. Needs only 01-first-login before it.
import { api, createUser, expect, loadAccount, newPage, shoot, signInAdmin, test } from "../helpers";
import { createLead, getLead, gridRows, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

// The read-only check pastes from the clipboard (Glide reads it with navigator.clipboard.read()).
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

// A user of its own whose leads the admin reads.
const OWNER = "olga";

test.describe("do not contact", () => {
  test.beforeAll(async ({ browser }) => {
    if (loadAccount(OWNER).password) return;
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, OWNER, "user");
    await admin.context().close();
  });

  test("add a lead's username on the page: the toast counts 1 marked lead, the lead is do_not_contact; remove it", async ({
    page,
    browser,
  }) => {
    await useSession(page, browser, "admin");
    const lead = await createLead(page, { username: uniq("dnc"), full_name: "Please Stop" });
    expect(lead.status).toBe("new");
    // Two more entries so the table has something to show around it.
    const other = uniq("dncmail");
    expect((await api(page, "POST", "/do-not-contact", { kind: "email", value: `${other}@example.test`, reason: "Unsubscribed" })).status).toBe(201);
    expect((await api(page, "POST", "/do-not-contact", { kind: "username", value: `${other}_x` })).status).toBe(201);

    // From the sidebar, next to Leads.
    await page.goto("/");
    await page.getByRole("navigation").getByRole("link", { name: "Do not contact" }).click();
    await expect(page.getByRole("heading", { name: "Do not contact", level: 1 })).toBeVisible();

    const form = page.getByRole("form", { name: "Add to the do-not-contact list" });
    await expect(form.getByLabel("Kind")).toHaveValue("username");
    await form.getByLabel("Instagram username").fill(`@${lead.username}`);
    await form.getByLabel("Reason (optional)").fill("Asked us to stop");
    await form.getByRole("button", { name: "Add" }).click();
    await expect(page.locator(".toast", { hasText: "Added; 1 lead marked do not contact" })).toBeVisible();
    await expect(form.getByLabel("Instagram username")).toHaveValue("");
    await expect.poll(async () => (await getLead(page, lead.id)).status).toBe("do_not_contact");

    const row = page.locator(`[data-testid="dnc-row"][data-value="${lead.username}"]`);
    await expect(row).toContainText(`@${lead.username}`);
    await expect(row).toContainText("Asked us to stop");

    // The same username again: the 409 shows next to the value.
    await form.getByLabel("Instagram username").fill(lead.username);
    await form.getByRole("button", { name: "Add" }).click();
    await expect(form.getByText("This is already on your do-not-contact list.")).toBeVisible();
    await expect(form.getByLabel("Instagram username")).toHaveAttribute("aria-invalid", "true");
    await shoot(page, "do-not-contact");
    await form.getByLabel("Instagram username").fill("");
    await expect(form.getByText("This is already on your do-not-contact list.")).toHaveCount(0);

    // Search narrows the table (debounced); the suffix avoids "_", which the server's search drops.
    const suffix = lead.username.split("_").pop()!;
    await page.getByRole("searchbox", { name: "Search" }).fill(suffix);
    await expect(page.getByTestId("dnc-row")).toHaveCount(1);

    // Remove it after confirming; the lead keeps its status.
    await row.getByRole("button", { name: `Remove @${lead.username}` }).click();
    const dialog = page.getByRole("alertdialog");
    await expect(dialog).toContainText(`Remove @${lead.username} from the list?`);
    await dialog.getByRole("button", { name: "Remove" }).click();
    await expect(page.locator(".toast", { hasText: `Removed @${lead.username} from the list.` })).toBeVisible();
    await expect(page.getByTestId("dnc-row")).toHaveCount(0);
    await expect(page.getByText("Nothing on the list matches")).toBeVisible();
    const listed = await api(page, "GET", `/do-not-contact?q=${suffix}`);
    expect(listed.body.total).toBe(0);
    expect((await getLead(page, lead.id)).status).toBe("do_not_contact");
  });

  test("an admin opens another user's leads from Users: banner, read-only grid, audit entry; back to their own", async ({
    page,
    browser,
  }) => {
    // Olga's leads, made by Olga.
    const op = await newPage(browser);
    await useSession(op, browser, OWNER);
    const tag = uniq("olgas");
    const theirs = await createLead(op, { username: `${tag}_a`, full_name: "Olga Lead A", followers: 1200 });
    await createLead(op, { username: `${tag}_b`, full_name: "Olga Lead B", followers: 80 });
    await op.context().close();

    await useSession(page, browser, "admin");
    // The admin's own last change: Ctrl+Z while reading Olga's leads must not undo it.
    const mine = await createLead(page, { username: uniq("mine"), full_name: "Mine Before" });
    expect((await api(page, "PATCH", `/leads/${mine.id}`, { full_name: "Mine After" })).status).toBe(200);

    await page.goto(`/admin/users?q=${OWNER}`);
    const userRow = page.locator(`[data-testid="user-row"][data-username="${OWNER}"]`);
    await expect(userRow).toBeVisible();
    await shoot(page, "admin-users-view-leads");
    await userRow.getByRole("link", { name: `View leads of ${OWNER}` }).click();
    await expect(page).toHaveURL(/\/leads\?owner=/);
    const ownerId = new URL(page.url()).searchParams.get("owner")!;
    const banner = page.getByTestId("owner-banner");
    await expect(banner).toHaveText(new RegExp(`Viewing ${OWNER}'s leads — read-only`));

    await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
    await expect(page.getByTestId("lead-count")).toHaveText("2 leads");
    await expect.poll(async () => (await gridRows(page)).map((r) => r[0]).sort()).toEqual([`${tag}_a`, `${tag}_b`]);
    for (const name of ["New lead", "Import CSV", "Undo", "Redo", "Bulk edit", "Delete row"]) {
      await expect(page.getByRole("button", { name, exact: true })).toHaveCount(0);
    }

    // Typing, pasting, deleting and Ctrl+Z change nothing.
    const rowA = (await gridRows(page)).findIndex((r) => r[0] === `${tag}_a`);
    await selectCell(page, rowA, 1);
    await page.keyboard.press("Enter");
    await expect(page.locator("#portal textarea, #portal input")).toHaveCount(0);
    await page.evaluate((t) => navigator.clipboard.writeText(t), "Pasted Name");
    await page.keyboard.press("Control+V");
    await page.keyboard.press("Delete");
    await page.keyboard.press("Control+z");
    await page.waitForTimeout(800);
    const after = await api(page, "GET", `/leads/${theirs.id}?owner=${encodeURIComponent(ownerId)}`);
    expect(after.status).toBe(200);
    expect(after.body.full_name).toBe("Olga Lead A");
    expect(after.body.version).toBe(theirs.version);
    expect((await getLead(page, mine.id)).full_name).toBe("Mine After");

    // The drawer is read-only too, with the lead's source hashtags section.
    await page.keyboard.press("Alt+Enter");
    const drawer = page.getByRole("dialog", { name: `@${tag}_a` });
    await expect(drawer).toBeVisible();
    await expect(drawer.getByRole("button", { name: "Save changes" })).toHaveCount(0);
    await expect(drawer.getByText("Source hashtags")).toBeVisible();
    await drawer.getByRole("button", { name: "Close details" }).click();
    await shoot(page, "leads-read-only");

    // Recorded in the audit log.
    const audit = await api(page, "GET", "/admin/audit?action=leads.read_other");
    expect(audit.status).toBe(200);
    expect(audit.body.items.some((i: { target_label?: string }) => i.target_label === OWNER)).toBe(true);

    // Back to the admin's own leads: the normal workspace.
    await banner.getByRole("link", { name: "Back to my leads" }).click();
    await expect(page).toHaveURL(/\/leads$/);
    await expect(page.getByTestId("owner-banner")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "New lead" })).toBeVisible();
  });

  test("the lead drawer lists the hashtags that found the lead, the Hashtag field merged in", async ({ page, browser }) => {
    await useSession(page, browser, "admin");
    const lead = await createLead(page, { username: uniq("tagged"), full_name: "Found Twice", source_hashtag: "travel" });
    const pairs = [
      { hashtag: "travel", username: lead.username },
      { hashtag: "food", username: lead.username },
    ];
    expect((await api(page, "POST", "/hashtags/pairs", { pairs })).status).toBe(200);

    await openLeads(page, lead.username, 1);
    await selectCell(page, 0, 1);
    await page.keyboard.press("Alt+Enter");
    const drawer = page.getByRole("dialog", { name: `@${lead.username}` });
    const list = drawer.getByTestId("lead-hashtags");
    await expect(list.getByRole("listitem")).toHaveCount(2);
    await expect(list.getByRole("listitem").first()).toContainText("#travel");
    await expect(list.getByRole("listitem").first()).toContainText("source");
    await expect(list.getByRole("listitem").first()).toContainText("found");
    await expect(list.getByRole("listitem").nth(1)).toContainText("#food");
    await list.scrollIntoViewIfNeeded();
    await shoot(page, "lead-source-hashtags");
  });
});
