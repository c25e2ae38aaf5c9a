// Issue 17, acceptance 3: a user starts a processing session in the SPA against the sandbox, watches the progress
// bar reach done, opens the review queue for that session, edits and approves two drafts, and finds the new leads
// in the grid with their status.
//
// Runs against `serve --sandbox` (every provider answers from the built-in sandbox). Screenshots of the Sessions
// list (empty and with a session), the new-session form, a running and a finished session, the review queue and the
// grid go to $SESSIONS_SHOTS (default /tmp/shots-sessions), desktop and phone.
import { mkdirSync } from "node:fs";
import { api, createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { gridRows, uniq, useSession } from "./leads-helpers";

const USER = "sven";
const SHOTS = process.env.SESSIONS_SHOTS ?? "/tmp/shots-sessions";

async function shots(page: import("@playwright/test").Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("a session runs from hashtags to reviewed drafts, and its leads show in the grid", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // The admin points every provider at the sandbox with keys it accepts; a fresh user runs the session (one heavy
  // operation per user, so nothing of earlier specs is in the way).
  const admin = await newPage(browser);
  await signInAdmin(admin);
  const keys = await api(admin, "PUT", "/admin/providers", {
    settings: [
      { provider: "apify", field: "token", value: "apify_api_e2e_sandbox_token" },
      { provider: "perplexity", field: "api_key", value: "pplx-e2e-sandbox-key" },
      { provider: "openai", field: "api_key", value: "sk-e2e-sandbox-key-4711" },
    ],
  });
  expect(keys.status, JSON.stringify(keys.body)).toBe(200);
  if (!loadAccount(USER).password) await createUser(admin, USER, "user");
  await admin.context().close();
  await useSession(page, browser, USER);

  // A product with a prompt: the drafts are written from it.
  const productName = uniq("Yoga mats");
  const product = await api(page, "POST", "/products", { name: productName, description: "Cork yoga mats for studios" });
  expect(product.status, JSON.stringify(product.body)).toBe(201);
  const prompt = await api(page, "POST", "/prompts", {
    name: "Studio intro",
    product_id: product.body.id,
    body: "Schreibe eine kurze, persönliche E-Mail an {{full_name}} (@{{username}}) über unsere Korkmatten.",
  });
  expect(prompt.status, JSON.stringify(prompt.body)).toBe(201);

  // The Sessions page, from the sidebar: empty, with a way to start.
  await page.goto("/");
  await page.getByRole("navigation").getByRole("link", { name: "Sessions" }).click();
  await expect(page.getByRole("heading", { name: "Sessions", level: 1 })).toBeVisible();
  await expect(page.getByText("No sessions yet")).toBeVisible();
  await shots(page, "sessions-empty");
  await page.getByRole("link", { name: "New session" }).first().click();
  await expect(page.getByRole("heading", { name: "New session", level: 1 })).toBeVisible();

  // The form: hashtags as chips (# and spaces stripped), small limits, the product, no pauses.
  const chips = page.getByLabel(/Seed hashtags/);
  await chips.fill("#Yoga, pilates");
  await chips.press("Enter");
  await expect(page.getByTestId("hashtag-chip")).toHaveText(["#yoga", "#pilates"]);
  await page.getByLabel("Posts per hashtag").fill("5");
  await page.getByLabel("Maximum new leads").fill("8");
  await page.getByLabel("Product", { exact: true }).selectOption({ label: productName });
  await page.getByText("Advanced: pacing").click();
  await page.getByLabel("Batch size").fill("4");
  await page.getByLabel("Shortest pause (s)").fill("0");
  await page.getByLabel("Longest pause (s)").fill("0");
  // The estimated cost shows before Start.
  await expect(page.getByTestId("estimate-total")).toHaveText(/^\$\d/, { timeout: 15_000 });
  await shots(page, "session-new");
  await page.getByRole("button", { name: "Start session" }).click();

  // The session's page: live progress until done.
  await expect(page).toHaveURL(/\/sessions\/[0-9a-f-]{36}$/);
  const detail = page.getByTestId("session-detail");
  await expect(page.getByRole("heading", { name: "#yoga, #pilates", level: 1 })).toBeVisible();
  await expect(detail).toHaveAttribute("data-status", "done", { timeout: 120_000 });
  const steps = page.getByTestId("stage-step");
  await expect(steps).toHaveCount(5);
  for (const step of await steps.all()) {
    await expect(step).toHaveAttribute("data-status", /^(done|skipped)$/);
    await expect(step.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  }
  await expect(page.getByTestId("session-summary")).toBeVisible();
  const added = Number((await page.getByTestId("session-counts").locator("div", { hasText: "Leads added" }).locator("dd").innerText()).replace(/\D/g, ""));
  expect(added).toBeGreaterThan(0);
  await shots(page, "session-done");

  // The list shows it done.
  await page.getByRole("link", { name: "All sessions" }).click();
  const row = page.getByTestId("session-row").first();
  await expect(row).toContainText("#yoga, #pilates");
  await expect(row).toContainText("done");
  await shots(page, "sessions-list");
  await row.getByRole("link", { name: "#yoga, #pilates" }).click();

  // The review queue filtered by this session: edit and approve two drafts.
  const sessionId = page.url().split("/").pop()!;
  await page.getByRole("link", { name: /Review drafts/ }).click();
  await expect(page).toHaveURL(new RegExp(`/review\\?session=${sessionId}`));
  await expect(page.getByLabel("Session", { exact: true })).toHaveValue(sessionId);
  const drafts = await api(page, "GET", `/drafts?session_id=${sessionId}&status=pending`);
  expect(drafts.status).toBe(200);
  expect(drafts.body.total).toBeGreaterThanOrEqual(2);
  for (const [i, d] of (drafts.body.items as Array<{ id: string; username: string }>).slice(0, 2).entries()) {
    // Open the draft by its lead's username, edit subject and body, save, approve.
    await page.getByText(`@${d.username}`, { exact: false }).first().click();
    const subject = page.getByRole("textbox", { name: "Subject" });
    await subject.fill(`Korkmatten für Ihr Studio ${i + 1}`);
    const body = page.getByRole("textbox", { name: "Body" });
    await body.fill(`Hallo!\n\nWir haben Korkmatten für Ihr Studio (${i + 1}).\n\nViele Grüße`);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Approve" }).first().click();
    await expect.poll(async () => (await api(page, "GET", `/drafts/${d.id}`)).body.status).toBe("approved");
    const saved = (await api(page, "GET", `/drafts/${d.id}`)).body;
    expect(saved.subject).toBe(`Korkmatten für Ihr Studio ${i + 1}`);
  }
  await shots(page, "review-queue");

  // The grid: the new leads are there (newest first), with their status.
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "Leads", level: 1 })).toBeVisible();
  await expect(page.getByTestId("lead-count")).toHaveText(/^\d+ leads?$/);
  const count = Number((await page.getByTestId("lead-count").innerText()).replace(/\D/g, ""));
  expect(count).toBeGreaterThanOrEqual(added);
  await expect.poll(async () => (await gridRows(page)).length).toBeGreaterThan(0);
  // The session's leads are in the grid with the status the pipeline gave them (drafted, or enriched when no draft).
  const texts = (await gridRows(page)).map((r) => r.join(" "));
  const approvedLead = (drafts.body.items as Array<{ username: string }>)[0].username;
  expect(texts.some((t) => t.includes(approvedLead))).toBe(true);
  expect(texts.some((t) => /email[ _]drafted/i.test(t))).toBe(true);
  // A lead's drawer lists where its contact data was found, when the contact search found any.
  await shots(page, "session-leads");
});

test("the grid's Generate drafts starts a drafts-only session, and a second one answers which one runs", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await useSession(page, browser, USER);
  const products = await api(page, "GET", "/products");
  const product = (products.body as Array<{ id: string; name: string }>)[0];
  const lead = await api(page, "POST", "/leads", { username: uniq("drafty"), full_name: "Dora Draft", email: "dora@example.org" });
  expect(lead.status).toBe(201);
  // A long-running session blocks a second heavy operation: started through the API with long pauses.
  const blocker = await api(page, "POST", "/sessions", {
    name: "Blocker",
    hashtags: ["slowcrawl"],
    discover_related: false,
    posts_per_hashtag: 50,
    max_new_leads: 50,
    filters: { min_followers: null, max_followers: null, business_only: false, require_contact: false, skip_private: false, bio_language: null },
    product_id: null,
    stages: ["crawl", "enrich"],
    pacing: { batch_size: 1, pause_min_seconds: 600, pause_max_seconds: 600 },
    lead_ids: null,
  });
  expect(blocker.status, JSON.stringify(blocker.body)).toBe(201);

  await page.goto("/leads");
  await page.getByRole("searchbox", { name: "Search leads" }).fill(lead.body.username);
  await expect(page.getByTestId("lead-count")).toHaveText("1 lead");
  await expect.poll(async () => (await gridRows(page)).length).toBe(1);
  const canvas = page.getByTestId("data-grid-canvas");
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + 48 + 30, box.y + 34 + 16);
  await page.getByRole("button", { name: "Generate drafts" }).click();
  const dialog = page.getByRole("dialog", { name: "Generate e-mail drafts" });
  await dialog.getByLabel("Product", { exact: true }).selectOption({ label: product.name });
  await dialog.getByRole("button", { name: "Generate 1 draft" }).click();
  const notice = dialog.getByTestId("session-running-notice");
  await expect(notice).toContainText("“Blocker” is still running.");
  await expect(notice.getByRole("link", { name: "Open it" })).toHaveAttribute("href", `/sessions/${blocker.body.id}`);

  // Cancel the blocker from its page; then the drafts-only run starts.
  await notice.getByRole("link", { name: "Open it" }).click();
  await expect(page.getByRole("heading", { name: "Blocker", level: 1 })).toBeVisible();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByText(/waiting \d+ s before the next batch/)).toBeVisible();
  await shots(page, "session-running");
  await page.getByTestId("session-detail").getByRole("button", { name: "Cancel", exact: true }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Cancel session" }).click();
  await expect(page.getByTestId("session-detail")).toHaveAttribute("data-status", "cancelled", { timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Resume" })).toBeVisible();

  await page.goto("/leads");
  await page.getByRole("searchbox", { name: "Search leads" }).fill(lead.body.username);
  await expect.poll(async () => (await gridRows(page)).length).toBe(1);
  await page.mouse.click(box.x + 48 + 30, box.y + 34 + 16);
  await page.getByRole("button", { name: "Generate drafts" }).click();
  await dialog.getByLabel("Product", { exact: true }).selectOption({ label: product.name });
  await dialog.getByRole("button", { name: "Generate 1 draft" }).click();
  await page.getByRole("button", { name: "Follow it" }).click();
  await expect(page.getByRole("heading", { name: /Drafts for 1 lead/, level: 1 })).toBeVisible();
  await expect(page.getByTestId("session-detail")).toHaveAttribute("data-status", "done", { timeout: 60_000 });
  const drafts = await api(page, "GET", `/drafts?session_id=${page.url().split("/").pop()}`);
  expect(drafts.body.items.map((d: { lead_id: string }) => d.lead_id)).toEqual([lead.body.id]);
});
