import { test as base, expect, type Browser, type Page } from "@playwright/test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Secret, TOTP } from "otpauth";

export const REPO = path.resolve(__dirname, "..", "..");
export const SHOTS = path.join(REPO, "artifacts", "screenshots");

export function baseUrl(): string {
  const b = process.env.E2E_BASE_URL;
  if (!b) throw new Error("E2E_BASE_URL not set: run through `npm test` (global setup starts the backend)");
  return b;
}

/** `test` with baseURL taken from the backend the global setup started. */
export const test = base.extend({
  baseURL: async ({}, use) => {
    await use(baseUrl());
  },
});
export { expect };

// ---- state shared between spec files (one worker, files run in order) ----

export interface Account {
  username: string;
  password: string;
  totpSecret?: string;
  lastStep?: number;
  backupCodes?: string[];
}
type State = Record<string, Account>;

function stateFile(): string {
  const f = process.env.E2E_STATE;
  if (!f) throw new Error("E2E_STATE not set");
  return f;
}
export function loadAccount(username: string): Account {
  const s = JSON.parse(readFileSync(stateFile(), "utf8")) as State;
  return s[username] ?? { username, password: username === "admin" ? "admin" : "" };
}
export function saveAccount(a: Account): void {
  const s = JSON.parse(readFileSync(stateFile(), "utf8")) as State;
  s[a.username] = a;
  writeFileSync(stateFile(), JSON.stringify(s, null, 2));
}

// ---- TOTP ----

const PERIOD = 30;
export function currentStep(): number {
  return Math.floor(Date.now() / 1000 / PERIOD);
}

/** A code for a step the server has not seen yet for this account (waits for the next 30 s step if needed). */
export async function freshTotp(acc: Account): Promise<string> {
  if (!acc.totpSecret) throw new Error(`${acc.username} has no TOTP secret`);
  for (;;) {
    const now = Date.now() / 1000;
    const step = Math.floor(now / PERIOD);
    const left = PERIOD - (now % PERIOD);
    if ((acc.lastStep === undefined || step > acc.lastStep) && left > 3) {
      acc.lastStep = step;
      saveAccount(acc);
      const totp = new TOTP({ secret: Secret.fromBase32(acc.totpSecret), digits: 6, period: PERIOD, algorithm: "SHA1" });
      return totp.generate({ timestamp: step * PERIOD * 1000 + 1000 });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function strongPassword(tag: string): string {
  return `Green-${tag}-meadow-${Math.random().toString(36).slice(2, 8)}`;
}

// ---- screenshots ----

export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(original);
  await page.waitForTimeout(150);
}

// ---- sign-in through the UI, whatever steps the server asks for ----

const DASHBOARD = /Welcome, /;

/**
 * Signs in on /login and walks through every step the server answers (forced password change,
 * 2FA setup, TOTP, backup codes) until the dashboard shows. Updates the stored account.
 */
export async function signIn(
  page: Page,
  acc: Account,
  opts: { newPassword?: string; useBackupCode?: boolean; target?: RegExp; stay?: boolean } = {},
): Promise<Account> {
  if (!opts.stay) await page.goto("/login");
  await page.getByLabel("Username").fill(acc.username);
  await page.getByLabel("Password", { exact: true }).fill(acc.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const heading = page.locator("#login-title");
  for (let i = 0; i < 8; i++) {
    const which = await detectStep(page, opts.target ?? DASHBOARD);
    if (which === "done") {
      saveAccount(acc);
      return acc;
    }
    if (which.startsWith("error")) throw new Error(`sign-in of ${acc.username} failed: ${which}`);
    if (which === "password") {
      const pw = opts.newPassword ?? strongPassword(acc.username);
      await page.getByLabel("New password", { exact: true }).fill(pw);
      await page.getByLabel("Repeat new password").fill(pw);
      await page.getByRole("button", { name: "Set new password" }).click();
      acc.password = pw;
      saveAccount(acc);
      await expect(heading.filter({ hasText: /^Choose a new password$/ })).toHaveCount(0, { timeout: 15_000 });
    } else if (which === "setup") {
      await completeTotpSetup(page, acc, "Confirm and continue");
    } else if (which === "totp") {
      if (opts.useBackupCode) {
        const code = acc.backupCodes?.shift();
        if (!code) throw new Error(`${acc.username} has no backup codes left`);
        saveAccount(acc);
        await page.getByRole("button", { name: "Use a backup code" }).click();
        await page.getByLabel("Backup code").fill(code);
      } else {
        await page.getByLabel("6-digit code from your authenticator app").fill(await freshTotp(acc));
      }
      await page.getByRole("button", { name: "Verify" }).click();
      await expect(heading.filter({ hasText: /^Two-factor authentication$/ })).toHaveCount(0, { timeout: 15_000 });
    } else if (which === "codes") {
      acc.backupCodes = await readBackupCodes(page);
      saveAccount(acc);
      await page.getByLabel("I saved my backup codes").check();
      await page.getByRole("button", { name: /Continue/ }).click();
    }
  }
  throw new Error(`sign-in of ${acc.username} did not finish`);
}

/** Polls until the page shows a known sign-in step, the target page, or an error. */
async function detectStep(page: Page, target: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  const heading = page.locator("#login-title");
  while (Date.now() < deadline) {
    if (await page.getByRole("heading", { level: 1, name: target }).isVisible().catch(() => false)) return "done";
    // Signed in and sent back to the page we came from.
    if ((await page.locator("#main h1").first().isVisible().catch(() => false))) return "done";
    const err = page.locator(".login-card .form-error");
    if (await err.isVisible().catch(() => false)) return `error: ${await err.textContent({ timeout: 300 }).catch(() => "")}`;
    const h = ((await heading.textContent({ timeout: 300 }).catch(() => "")) ?? "").trim();
    if (h === "Choose a new password") return "password";
    if (h === "Set up two-factor authentication" && (await page.getByTestId("totp-secret").isVisible())) return "setup";
    if (h === "Two-factor authentication") return "totp";
    if (h === "Save your backup codes") return "codes";
    await page.waitForTimeout(150);
  }
  throw new Error(`no known sign-in step visible (url ${page.url()})`);
}

export async function completeTotpSetup(page: Page, acc: Account, submit: string): Promise<void> {
  const secretEl = page.getByTestId("totp-secret");
  await expect(secretEl).toBeVisible();
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  acc.totpSecret = (await secretEl.innerText()).replace(/\s+/g, "");
  acc.lastStep = undefined;
  saveAccount(acc);
  await page.getByLabel("6-digit code from the app").fill(await freshTotp(acc));
  await page.getByRole("button", { name: submit }).click();
}

export async function readBackupCodes(page: Page): Promise<string[]> {
  const list = page.getByRole("list", { name: "Backup codes" });
  await expect(list).toBeVisible();
  return (await list.locator("code").allInnerTexts()).map((c) => c.trim());
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Username")).toBeVisible();
}

/** Calls the API with the page's cookies and the CSRF header, like the SPA does. */
export async function api(page: Page, method: string, urlPath: string, body?: unknown) {
  const cookies = await page.context().cookies();
  const csrf = cookies.find((c) => c.name === "leadgen_csrf")?.value;
  const res = await page.request.fetch(`${baseUrl()}/api/v1${urlPath}`, {
    method,
    data: body === undefined ? undefined : body,
    headers: csrf ? { "X-CSRF-Token": decodeURIComponent(csrf) } : {},
  });
  const text = await res.text();
  return { status: res.status(), body: text ? JSON.parse(text) : null };
}

/** Creates a user through the admin API (the page must hold an admin session); returns its account. */
export async function createUser(page: Page, username: string, role: "admin" | "user" | "viewer"): Promise<Account> {
  const r = await api(page, "POST", "/admin/users", { username, role });
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  const acc: Account = { username, password: r.body.temporary_password };
  saveAccount(acc);
  return acc;
}

export async function newPage(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1280, height: 800 } });
  return ctx.newPage();
}

/** Signs in the admin (set up by 01-first-login) in this page. */
export async function signInAdmin(page: Page): Promise<Account> {
  return signIn(page, loadAccount("admin"));
}
