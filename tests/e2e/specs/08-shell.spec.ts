import { expect, loadAccount, SHOTS, signIn, test } from "../helpers";
import path from "node:path";

test("shell: sidebar collapse persists, auto-collapses when narrow, is a drawer on phones; theme toggle", async ({ page }) => {
  // tina (a plain user from 06-api-token) signs in without 2FA.
  await signIn(page, loadAccount("tina"));
  const sidebar = page.getByRole("complementary", { name: "Main navigation" });

  // Collapse and reload: still collapsed (localStorage).
  await page.getByRole("button", { name: "Collapse sidebar" }).click();
  await expect(sidebar.getByRole("link", { name: "Profile" })).toHaveAttribute("title", "Profile");
  await page.reload();
  await expect(page.getByRole("button", { name: "Expand sidebar" })).toBeVisible();
  await page.getByRole("button", { name: "Expand sidebar" }).click();
  await expect(sidebar.getByText("Profile", { exact: true })).toBeVisible();

  // Below 900 px it collapses by itself (icons only, no toggle).
  await page.setViewportSize({ width: 800, height: 800 });
  await expect(sidebar.getByText("Profile", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /sidebar/ })).toHaveCount(0);

  // On a phone the sidebar is a drawer behind a menu button.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(sidebar).toBeHidden();
  await page.getByRole("button", { name: "Open menu" }).click();
  await expect(sidebar).toBeVisible();
  await sidebar.getByRole("link", { name: "Profile" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(sidebar).toBeHidden();
  await page.getByRole("button", { name: "Open menu" }).click();
  await page.keyboard.press("Escape");
  await expect(sidebar).toBeHidden();

  // Theme: system → light → dark, remembered across reloads.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const toggle = page.getByRole("button", { name: /^Theme:/ });
  await toggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  await toggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.screenshot({ path: path.join(SHOTS, "dashboard-dark-desktop.png") });
});
