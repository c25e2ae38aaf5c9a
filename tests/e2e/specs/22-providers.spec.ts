// Providers in sandbox mode: the admin sets the OpenAI key and tests the connection (success, then the auth error
// for a key the sandbox rejects); a user links a Gmail mailbox through the sandbox's Google consent and sees it
// listed; the admin sees the calls on the Usage page; the sandbox banner is on every page.
import { mkdirSync } from "node:fs";
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { useSession } from "./leads-helpers";

const USER = "mila";
const SHOTS = process.env.PROVUI_SHOTS ?? "/tmp/shots-provui";

async function shots(page: import("@playwright/test").Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  // From the top: a full-page shot of a scrolled page draws the sticky bars where the scroll left them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("the admin sets and tests the OpenAI key against the sandbox", async ({ page, browser }) => {
  await useSession(page, browser, "admin");
  await page.goto("/settings/providers");
  await expect(page.getByTestId("sandbox-banner")).toHaveText("Sandbox — no real requests are made");
  const openai = page.getByTestId("provider-openai");
  await openai.getByLabel("API key", { exact: true }).fill("sk-e2e-sandbox-key-4711");
  await openai.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("OpenAI: saved.")).toBeVisible();
  await expect(openai.getByLabel("API key", { exact: true })).toHaveAttribute("placeholder", "••••4711");
  await expect(openai.getByText(/Set by admin on/)).toBeVisible();
  await openai.getByRole("button", { name: "Test connection" }).click();
  await expect(openai.getByTestId("test-result")).toContainText("Connected: OpenAI accepted the credentials.");

  // A key the sandbox rejects (it contains "invalid"): the auth error in words, with its code.
  await openai.getByLabel("API key", { exact: true }).fill("sk-e2e-invalid-key-0000");
  await openai.getByRole("button", { name: "Save" }).click();
  await expect(openai.getByLabel("API key", { exact: true })).toHaveAttribute("placeholder", "••••0000");
  await openai.getByRole("button", { name: "Test connection" }).click();
  const failed = openai.getByTestId("test-result");
  await expect(failed).toContainText("rejected the credentials");
  await expect(failed).toContainText("provider_auth_failed");

  // The Google OAuth client, so users can link Gmail.
  const google = page.getByTestId("provider-google");
  await google.getByLabel("OAuth client id", { exact: true }).fill("1234-e2e.apps.googleusercontent.com");
  await google.getByLabel("OAuth client secret", { exact: true }).fill("GOCSPX-e2e-client-secret-9876");
  await google.getByRole("button", { name: "Save" }).click();
  await expect(google.getByLabel("OAuth client secret", { exact: true })).toHaveAttribute("placeholder", "••••9876");
  await google.getByRole("button", { name: "Test connection" }).click();
  await expect(google.getByTestId("test-result")).toContainText("Connected");
  await shots(page, "providers");
});

test("a user links a Gmail mailbox through the sandbox consent and sees it listed", async ({ page, browser }) => {
  if (!loadAccount(USER).password) {
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, USER, "user");
    await admin.context().close();
  }
  await useSession(page, browser, USER);
  await page.goto("/");
  await page.getByRole("link", { name: "Connections" }).first().click();
  await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();
  await expect(page.getByText("No mailbox connected")).toBeVisible();
  await page.getByRole("button", { name: "Connect Gmail" }).click();
  // The sandbox's consent page approves at once and sends the browser back through the callback.
  await page.waitForURL(/\/settings\/connections/);
  await expect(page.getByText("sandbox.user@gmail.com is connected.")).toBeVisible();
  const row = page.getByTestId("mailbox-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("sandbox.user@gmail.com");
  await expect(row).toContainText("connected");
  await expect(page).toHaveURL(/\/settings\/connections$/);
  await expect(page.getByTestId("sandbox-banner")).toBeVisible();
  await shots(page, "connections");
});

test("the admin sees the calls per user and provider on the Usage page", async ({ page, browser }) => {
  await useSession(page, browser, "admin");
  await page.goto("/admin/usage");
  const rows = page.getByTestId("usage-row");
  await expect(rows.filter({ hasText: "OpenAI" }).filter({ hasText: "admin" })).toContainText("tokens");
  await expect(rows.filter({ hasText: "Google OAuth (Gmail)" }).filter({ hasText: USER })).toBeVisible();
  await expect(rows.filter({ hasText: "Gmail" }).filter({ hasText: USER }).first()).toBeVisible();
  await shots(page, "usage");
});
