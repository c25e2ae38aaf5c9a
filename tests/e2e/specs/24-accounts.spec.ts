// Instagram accounts (issue 18, acceptance 4), in sandbox mode: the admin sets the Instagram app, links an account
// through the sandbox's Instagram consent, links a second by credentials answering the 2FA challenge in the inbox,
// switches between them in the header, sees each one's vault view, forces a session logout on Admin → IG accounts,
// unlinks one; then signs out and signs in again with "Continue with Instagram" followed by the TOTP step.
import type { Page } from "@playwright/test";
import { expect, freshTotp, loadAccount, shoot, signInAdmin, test } from "../helpers";

const OFFICIAL = "e2e_brand";
const SESSION = "twofa_e2e_shop";

/**
 * The sandbox's consent page approves at once as a fresh account unless told which one (`login_hint`): the test
 * plays the user choosing their Instagram account on the consent page.
 */
async function consentAs(page: Page, username: string) {
  await page.unroute(/\/instagram-www\/.*authorize/);
  await page.route(/\/instagram-www\/.*authorize/, (route) => {
    const u = new URL(route.request().url());
    u.searchParams.set("login_hint", username);
    return route.continue({ url: u.toString() });
  });
}

function row(page: Page, username: string) {
  return page.locator(`[data-testid="account-row"][data-username="${username}"]`);
}

test("link by consent and by credentials with a 2FA code, switch, vault views, unlink; sign in with Instagram", async ({ page }) => {
  const admin = await signInAdmin(page);

  // The Instagram app (official links and sign-in); the sidecar points at the sandbox already.
  await page.goto("/settings/providers");
  const ig = page.getByTestId("provider-instagram");
  await ig.getByLabel("App id", { exact: true }).fill("17841400e2e");
  await ig.getByLabel("App secret", { exact: true }).fill("e2e-instagram-app-secret-5150");
  await ig.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(/^Instagram.*: saved\.$/)).toBeVisible();
  await expect(ig.getByLabel("App secret", { exact: true })).toHaveAttribute("placeholder", "••••5150");

  // Nothing linked yet: the empty state says what to do.
  await page.getByRole("link", { name: "Accounts", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Instagram accounts", level: 1 })).toBeVisible();
  await expect(page.getByText("No Instagram account linked yet")).toBeVisible();
  await expect(page.getByTestId("selected-account")).toHaveCount(0);

  // 1. The official link through the sandbox's consent page, back on /accounts with the outcome.
  await consentAs(page, OFFICIAL);
  await page.getByRole("button", { name: "Connect with Instagram" }).click();
  await expect(page.getByTestId("link-outcome")).toHaveText(new RegExp(`@${OFFICIAL} is linked with Instagram`));
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(row(page, OFFICIAL)).toContainText("official");
  await expect(row(page, OFFICIAL).getByText("primary", { exact: true })).toBeVisible();
  await expect(row(page, OFFICIAL).getByTestId("account-health")).toHaveText("healthy");
  await expect(page.getByTestId("selected-account")).toHaveText(`@${OFFICIAL}`);

  // 2. A second account by credentials: Instagram asks for the two-factor code, the inbox opens at once.
  await page.getByRole("button", { name: "Add by login" }).click();
  const dialog = page.getByRole("dialog", { name: "Add an Instagram account by login" });
  await dialog.getByLabel("Instagram username").fill(SESSION);
  await dialog.getByLabel("Password", { exact: true }).fill("e2e-shop-password");
  await dialog.getByRole("button", { name: "Log in and link" }).click();
  await expect(page).toHaveURL(/\/challenges\?focus=/);
  await expect(page.getByTestId("challenge-indicator")).toContainText("1");
  const item = page.locator(`[data-testid="challenge-item"][data-username="${SESSION}"]`);
  await expect(item).toContainText("Two-factor code");
  await expect(item).toContainText("two-factor code");
  await expect(item.getByLabel("Code")).toBeFocused();
  await shoot(page, "accounts-challenge-inbox");
  // On a phone the top bar still fits with the switcher and the indicator in it.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("challenge-indicator")).toBeVisible();
  const overflow = await page.locator(".topbar").evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 800 });
  // A wrong code: said next to the field, the item stays open.
  await item.getByLabel("Code").fill("654321");
  await item.getByRole("button", { name: "Submit code" }).click();
  await expect(item.getByRole("alert")).toContainText("did not accept this code");
  await item.getByLabel("Code").fill("123456");
  await item.getByRole("button", { name: "Submit code" }).click();
  await expect(page.getByText(`@${SESSION} is logged in.`)).toBeVisible();
  await expect(page.getByText("Nothing to answer")).toBeVisible();
  await expect(page.getByTestId("challenge-indicator")).toHaveCount(0);

  // 3. Switch between them in the header (the selection is the API's primary account).
  const switcher = page.getByRole("button", { name: /^Instagram account: / });
  await expect(page.getByTestId("selected-account")).toHaveText(`@${OFFICIAL}`);
  await switcher.click();
  await page.getByRole("option", { name: new RegExp(`@${SESSION}`) }).click();
  await expect(page.getByTestId("selected-account")).toHaveText(`@${SESSION}`);
  await page.goto("/accounts");
  await expect(row(page, SESSION).getByText("primary", { exact: true })).toBeVisible();
  await expect(row(page, OFFICIAL).getByText("primary", { exact: true })).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("selected-account")).toHaveText(`@${SESSION}`);
  await shoot(page, "accounts-list");
  await switcher.click();
  await page.getByRole("option", { name: new RegExp(`@${OFFICIAL}`) }).click();
  await expect(page.getByTestId("selected-account")).toHaveText(`@${OFFICIAL}`);

  // 4. Each one's vault view: how it is linked and how healthy, never a secret.
  await row(page, OFFICIAL).getByRole("link", { name: `Vault of @${OFFICIAL}` }).click();
  await expect(page.getByRole("heading", { name: `@${OFFICIAL}`, level: 1 })).toBeVisible();
  await expect(page.getByTestId("vault-linked")).toHaveText("official (Instagram Login)");
  await expect(page.getByTestId("vault-token")).toContainText("days left, renewed automatically");
  await expect(page.getByTestId("vault-session")).toContainText("none");
  await expect(page.getByTestId("vault-error")).toHaveText("none");
  await expect(page.getByTestId("member-row")).toHaveCount(1);
  await expect(page.getByTestId("member-row")).toContainText("owner");
  await page.getByRole("button", { name: "Test session" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Session works");
  await shoot(page, "accounts-vault-official");

  await page.goto("/accounts");
  await row(page, SESSION).getByRole("link", { name: `Vault of @${SESSION}` }).click();
  await expect(page.getByRole("heading", { name: `@${SESSION}`, level: 1 })).toBeVisible();
  await expect(page.getByTestId("vault-linked")).toHaveText("session (login on the sidecar)");
  await expect(page.getByTestId("vault-session")).toContainText("valid");
  await expect(page.getByTestId("vault-device")).toHaveText("pinned (reused by every login)");
  await expect(page.getByTestId("vault-token")).toContainText("no official link");
  await expect(page.getByTestId("vault")).not.toContainText("e2e-shop-password");
  await shoot(page, "accounts-vault-session");

  // The admin's list of every account; a forced session logout shows on the account.
  await page.goto("/admin/accounts");
  const adminRow = page.locator(`[data-testid="admin-account-row"][data-username="${SESSION}"]`);
  await expect(adminRow).toContainText(admin.username);
  await expect(page.locator(`[data-testid="admin-account-row"][data-username="${OFFICIAL}"]`)).toContainText("official");
  await adminRow.getByRole("button", { name: `Force session logout of @${SESSION}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Force logout" }).click();
  await expect(adminRow.getByTestId("account-health")).toHaveText("logged out");
  await shoot(page, "accounts-admin");

  // 5. Unlink the credential one: the owner's confirmation says its secrets go with it.
  await page.goto("/accounts");
  await row(page, SESSION).getByRole("link", { name: `Vault of @${SESSION}` }).click();
  await page.getByRole("button", { name: "Unlink" }).click();
  const confirm = page.getByRole("alertdialog");
  await expect(confirm).toContainText("removes the account and its secrets");
  await confirm.getByRole("button", { name: "Unlink and remove secrets" }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByTestId("account-row")).toHaveCount(1);
  await expect(row(page, OFFICIAL)).toBeVisible();
  await expect(page.getByTestId("selected-account")).toHaveText(`@${OFFICIAL}`);

  // 6. Sign out; an Instagram identity no one linked gets a clear message.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await consentAs(page, "e2e_stranger");
  await page.getByRole("button", { name: "Continue with Instagram" }).click();
  await expect(page.getByTestId("instagram-error")).toContainText("No leadgen user has linked this Instagram account");
  await shoot(page, "accounts-signin-unknown");

  // Continue with Instagram as the linked account: the TOTP step still comes, then the dashboard.
  await consentAs(page, OFFICIAL);
  await page.getByRole("button", { name: "Continue with Instagram" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  const acc = loadAccount(admin.username);
  await page.getByLabel("6-digit code from your authenticator app").fill(await freshTotp(acc));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: /Welcome, / })).toBeVisible();
  await expect(page.getByTestId("selected-account")).toHaveText(`@${OFFICIAL}`);
});
