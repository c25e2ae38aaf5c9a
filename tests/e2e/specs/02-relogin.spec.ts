import { expect, freshTotp, loadAccount, signIn, signOut, test } from "../helpers";

test("sign out, then sign in again with a TOTP code and once with a backup code", async ({ page }) => {
  const acc = loadAccount("admin");
  await signIn(page, acc);
  await signOut(page);

  // After sign-out the session is gone: protected pages send us back to /login.
  await page.goto("/profile");
  await expect(page).toHaveURL(/\/login$/);

  // Sign in with a fresh TOTP code (a code's 30 s step can't be reused).
  await page.getByLabel("Username").fill(acc.username);
  await page.getByLabel("Password", { exact: true }).fill(acc.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor authentication", exact: true })).toBeVisible();
  await page.getByLabel("6-digit code from your authenticator app").fill(await freshTotp(acc));
  await page.getByRole("button", { name: "Verify" }).click();
  // We came from /profile, so that is where we land.
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await signOut(page);

  // And with a backup code.
  const before = acc.backupCodes?.length ?? 0;
  await signIn(page, acc, { useBackupCode: true });
  expect(acc.backupCodes?.length).toBe(before - 1);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Welcome, admin" })).toBeVisible();
});
