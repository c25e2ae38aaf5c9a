// Helpers for the leads workspace specs: data through the API (the signed-in page's cookies + CSRF),
// and driving the canvas grid the way a user does (click a cell, arrow keys, Enter, type, Enter).
import type { Browser, Page } from "@playwright/test";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { api, expect, loadAccount, newPage, signIn } from "../helpers";

export function uniq(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
}

export async function createLead(page: Page, body: Record<string, unknown>) {
  const r = await api(page, "POST", "/leads", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; username: string; version: number; [k: string]: unknown };
}

export async function getLead(page: Page, id: string) {
  const r = await api(page, "GET", `/leads/${id}`);
  expect(r.status).toBe(200);
  return r.body as { id: string; version: number; [k: string]: unknown };
}

/** Opens /leads with a fresh grid state and searches for `q`; waits for `count` rows. */
export async function openLeads(page: Page, q: string, count: number): Promise<void> {
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "Leads", level: 1 })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search leads" }).fill(q);
  await expect(page.getByTestId("lead-count")).toHaveText(`${count} lead${count === 1 ? "" : "s"}`);
}

/** Texts of the visible grid rows (the engine's accessibility table), one array per row. */
export async function gridRows(page: Page): Promise<string[][]> {
  return page.locator("[data-testid=lead-grid] tbody tr").evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => (td.textContent ?? "").trim())),
  );
}

/** Text of the cell in visible column `col` (0 = username) of row `row`. */
export async function cellText(page: Page, row: number, col: number): Promise<string> {
  const rows = await gridRows(page);
  return rows[row]?.[col] ?? "";
}

/** Selects the username cell of `row`, then moves right `col` columns. */
export async function selectCell(page: Page, row: number, col: number): Promise<void> {
  await expect.poll(async () => (await gridRows(page)).length).toBeGreaterThan(row);
  const canvas = page.getByTestId("data-grid-canvas");
  const box = await canvas.boundingBox();
  if (!box) throw new Error("grid canvas not visible");
  // Row markers are 48 px wide, the header 34 px, rows 32 px.
  await page.mouse.click(box.x + 48 + 30, box.y + 34 + row * 32 + 16);
  for (let i = 0; i < col; i++) await page.keyboard.press("ArrowRight");
}

/** Edits a text/number cell through the engine's overlay editor. */
export async function editCell(page: Page, row: number, col: number, value: string): Promise<void> {
  const editor = page.locator("#portal textarea, #portal input").first();
  // The first editor of a page loads its code on demand; a click that lands while the grid re-renders is
  // retried.
  await expect(async () => {
    if (!(await editor.isVisible())) {
      await selectCell(page, row, col);
      await page.keyboard.press("Enter");
    }
    await expect(editor).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 20_000 });
  await editor.fill(value);
  await editor.press("Enter");
}

/** Clicks a column header on the canvas; `x` is the header's left edge offset from the grid's left. */
export async function clickHeader(page: Page, x: number, opts: { shift?: boolean } = {}): Promise<void> {
  const box = await page.getByTestId("data-grid-canvas").boundingBox();
  if (!box) throw new Error("grid canvas not visible");
  if (opts.shift) await page.keyboard.down("Shift");
  await page.mouse.click(box.x + x + 20, box.y + 17);
  if (opts.shift) await page.keyboard.up("Shift");
}

/**
 * Signs `username` in once per spec file and reuses the session (cookies) in every test, so a user with
 * 2FA does not wait for a fresh TOTP step per test.
 */
export async function sessionFile(browser: Browser, username: string): Promise<string> {
  const file = path.join(process.env.E2E_DATA_DIR ?? os.tmpdir(), `storage-${username}.json`);
  if (existsSync(file)) return file;
  const page = await newPage(browser);
  await signIn(page, loadAccount(username));
  await page.context().storageState({ path: file });
  await page.context().close();
  return file;
}

/** Puts the shared signed-in session of `username` into this test's page. */
export async function useSession(page: Page, browser: Browser, username: string): Promise<void> {
  const file = await sessionFile(browser, username);
  const state = JSON.parse(readFileSync(file, "utf8")) as { cookies: Parameters<ReturnType<Page["context"]>["addCookies"]>[0] };
  await page.context().addCookies(state.cookies);
}
