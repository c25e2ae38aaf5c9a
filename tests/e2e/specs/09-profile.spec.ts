import { expect, freshTotp, loadAccount, readBackupCodes, saveAccount, signIn, strongPassword, test } from "../helpers";

test("profile: set up 2FA, regenerate backup codes, change password", async ({ page }) => {
  const tina = await signIn(page, loadAccount("tina"));
  await page.goto("/profile");

  // 2FA setup from the profile (tina has none yet).
  const twofa = page.locator("#two-factor");
  await expect(twofa.getByText("Two-factor authentication is off.")).toBeVisible();
  await twofa.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const secret = page.getByTestId("totp-secret");
  await expect(secret).toBeVisible();
  tina.totpSecret = (await secret.innerText()).replace(/\s+/g, "");
  tina.lastStep = undefined;
  saveAccount(tina);
  await page.getByLabel("6-digit code from the app").fill(await freshTotp(tina));
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  const first = await readBackupCodes(page);
  expect(first).toHaveLength(10);
  await page.getByLabel("I saved my backup codes").check();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(twofa.getByText("Two-factor authentication is on.")).toBeVisible();
  await expect(twofa).toContainText("10 unused backup codes left.");

  // Regenerate backup codes with a current (fresh) TOTP code: new codes shown once.
  await twofa.getByLabel("Current code from your authenticator app").fill(await freshTotp(tina));
  await twofa.getByRole("button", { name: "Regenerate backup codes" }).click();
  const second = await readBackupCodes(page);
  expect(second).toHaveLength(10);
  expect(second).not.toEqual(first);
  tina.backupCodes = second;
  saveAccount(tina);
  await page.getByLabel("I saved my backup codes").check();
  await page.getByRole("button", { name: "Done" }).click();

  // Change password: a wrong current password is refused, the right one works and keeps this session.
  const card = page.locator(".card", { has: page.getByRole("heading", { name: "Change password" }) });
  const next = strongPassword("tina2");
  await card.getByLabel("Current password").fill("not-my-password-at-all");
  await card.getByLabel("New password", { exact: true }).fill(next);
  await card.getByLabel("Repeat new password").fill(next);
  await card.getByRole("button", { name: "Change password" }).click();
  await expect(card.getByRole("alert").first()).toBeVisible();
  await card.getByLabel("Current password").fill(tina.password);
  await card.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText(/Password changed/)).toBeVisible();
  tina.password = next;
  saveAccount(tina);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Profile", level: 1 })).toBeVisible();
});
