import { expect, newPage, shoot, signIn, signInAdmin, test, type Account } from "../helpers";

test("admin requires 2FA, creates a viewer; the viewer sets up 2FA, sees no admin links and is refused on /admin/users", async ({
  page,
  browser,
}) => {
  await signInAdmin(page);

  // Policy: require 2FA for everyone.
  await page.getByRole("navigation").getByRole("link", { name: "Policy" }).click();
  const sw = page.getByRole("switch", { name: "Require two-factor authentication for every user" });
  await expect(sw).toBeVisible();
  if (!(await sw.isChecked())) {
    await sw.click();
    await expect(page.getByText("Two-factor authentication is now required.")).toBeVisible();
  }
  await expect(sw).toBeChecked();

  // Users page: create a viewer without a password → temporary password shown once.
  await page.getByRole("navigation").getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  const ownRow = page.locator('[data-testid="user-row"][data-username="admin"]');
  await expect(ownRow.getByLabel("Role of admin")).toBeDisabled();
  await expect(ownRow.getByLabel("Role of admin")).toHaveAttribute("title", "You can't demote yourself");
  await expect(ownRow.getByRole("button", { name: "Delete admin" })).toBeDisabled();

  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Username").fill("vera");
  await dialog.getByLabel("Email (optional)").fill("vera@example.test");
  await dialog.getByLabel("Role").selectOption("viewer");
  await dialog.getByRole("button", { name: "Create user" }).click();
  const temp = page.getByTestId("temporary-password");
  await expect(temp).toBeVisible();
  const tempPassword = (await temp.innerText()).trim();
  expect(tempPassword.length).toBeGreaterThanOrEqual(12);
  await page.getByRole("button", { name: "Done" }).click();
  const veraRow = page.locator('[data-testid="user-row"][data-username="vera"]');
  await expect(veraRow).toBeVisible();
  await expect(veraRow.getByLabel("Role of vera")).toHaveValue("viewer");

  // Search narrows the table (debounced).
  await page.getByLabel("Search").fill("ver");
  await expect(page.locator('[data-testid="user-row"]')).toHaveCount(1);
  await page.getByLabel("Search").fill("");
  await expect(page.locator('[data-testid="user-row"][data-username="admin"]')).toBeVisible();
  await shoot(page, "admin-users");

  // The viewer signs in in a separate browser: forced password change, then 2FA setup (policy), backup codes.
  const vp = await newPage(browser);
  const vera: Account = { username: "vera", password: tempPassword };
  await vp.goto("/admin/users");
  await expect(vp).toHaveURL(/\/login$/);
  await signIn(vp, vera, { target: /You don't have access|Welcome, vera/, stay: true });
  expect(vera.totpSecret, "policy requires 2FA, so the viewer had to set it up").toBeTruthy();
  // Deep link remembered: the viewer lands on /admin/users and is refused.
  await expect(vp).toHaveURL(/\/admin\/users$/);
  await expect(vp.getByRole("heading", { name: "You don't have access" })).toBeVisible();

  await vp.goto("/");
  await expect(vp.getByRole("heading", { name: "Welcome, vera" })).toBeVisible();
  const nav = vp.getByRole("navigation");
  await expect(nav.getByRole("link", { name: "Profile" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await expect(vp.getByRole("link", { name: /Admin/ })).toHaveCount(0);
  await expect(vp.getByTestId("topbar-user")).toContainText("viewer");

  // A viewer may only create read tokens.
  await vp.goto("/profile");
  await vp.getByRole("button", { name: "New token" }).click();
  await expect(vp.getByLabel("Scope").locator("option")).toHaveText(["read"]);
  await vp.keyboard.press("Escape");

  // The API refuses too.
  const r = await vp.request.get("/api/v1/admin/users");
  expect(r.status()).toBe(403);
  await vp.context().close();

  // Admin turns the policy off again and looks at the audit log.
  await page.goto("/admin/policy");
  await page.getByRole("switch", { name: "Require two-factor authentication for every user" }).click();
  await expect(page.getByText("Two-factor authentication is now optional.")).toBeVisible();
  await page.goto("/admin/audit");
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  const actionSelect = page.getByLabel("Action");
  const options = await actionSelect.locator("option").allInnerTexts();
  expect(options.length).toBeGreaterThan(1);
  await page.getByLabel("Actor").fill("vera");
  await expect(page).toHaveURL(/actor=vera/);
  await shoot(page, "admin-audit");
});
