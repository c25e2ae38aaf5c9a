import { expect, freshTotp, loadAccount, test } from "../helpers";

test("the whole sign-in flow works by keyboard alone", async ({ page }) => {
  const acc = loadAccount("admin");
  await page.goto("/login");
  // Autofocus on the first field; Tab to the next; Enter submits.
  await expect(page.getByLabel("Username")).toBeFocused();
  await page.keyboard.type(acc.username);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await page.keyboard.type(acc.password);
  await page.keyboard.press("Enter");

  const code = page.getByLabel("6-digit code from your authenticator app");
  await expect(code).toBeFocused();
  await page.keyboard.type(await freshTotp(acc));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Welcome, admin" })).toBeVisible();

  // Focus is visible on keyboard navigation (a brand-coloured outline).
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? getComputedStyle(el).outlineStyle : "none";
  });
  expect(outline).not.toBe("none");

  // Sign out by keyboard too.
  await page.getByRole("button", { name: "Sign out" }).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/login$/);
});
