import { completeTotpSetup, expect, loadAccount, readBackupCodes, saveAccount, shoot, strongPassword, test } from "../helpers";

test("first login: admin/admin → forced password change → 2FA setup → backup codes → dashboard", async ({ page }) => {
  await page.goto("/");
  // Unauthenticated users land on /login.
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Username")).toBeFocused();
  await shoot(page, "login");

  const acc = loadAccount("admin");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("admin");
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  const newPw = page.getByLabel("New password", { exact: true });
  await expect(newPw).toBeFocused();
  const submit = page.getByRole("button", { name: "Set new password" });
  // Live rules: "admin" is too short and equals the username.
  await newPw.fill("admin");
  await page.getByLabel("Repeat new password").fill("admin");
  const rules = page.getByRole("list", { name: "Password rules" });
  await expect(rules.locator("li.rule-open")).toContainText(["At least 12 characters"]);
  await expect(submit).toBeDisabled();

  const pw = strongPassword("admin");
  await newPw.fill(pw);
  await page.getByLabel("Repeat new password").fill(pw);
  await expect(submit).toBeEnabled();
  await submit.click();
  acc.password = pw;
  saveAccount(acc);

  await expect(page.getByRole("heading", { name: "Set up two-factor authentication" })).toBeVisible();
  await expect(page.getByTestId("totp-secret")).toBeVisible();
  await shoot(page, "2fa-setup");
  await completeTotpSetup(page, acc, "Confirm and continue");

  await expect(page.getByRole("heading", { name: "Save your backup codes" })).toBeVisible();
  const codes = await readBackupCodes(page);
  expect(codes).toHaveLength(10);
  acc.backupCodes = codes;
  saveAccount(acc);
  await expect(page.getByRole("button", { name: "Copy codes" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Download .txt" })).toBeVisible();
  const cont = page.getByRole("button", { name: "Continue to leadgen" });
  await expect(cont).toBeDisabled();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download .txt" }).click();
  expect((await download).suggestedFilename()).toMatch(/\.txt$/);
  await page.getByLabel("I saved my backup codes").check();
  await cont.click();

  await expect(page.getByRole("heading", { name: "Welcome, admin" })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("topbar-user")).toContainText("admin");
  await expect(page.getByRole("navigation").getByRole("link", { name: "Users" })).toBeVisible();
  await shoot(page, "dashboard");
});
