import { createUser, expect, newPage, signIn, signInAdmin, test } from "../helpers";

test("sessions: revoke another session, then log out everywhere", async ({ page, browser }) => {
  await signInAdmin(page);
  const sam = await createUser(page, "sam", "user");
  await page.context().close();

  // Two browsers, two sessions.
  const a = await newPage(browser);
  await signIn(a, sam);
  const b = await newPage(browser);
  await signIn(b, sam);

  await a.goto("/profile");
  const rows = a.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  await expect(a.locator('[data-testid="session-row"][data-current]')).toContainText("this session");
  const other = a.locator('[data-testid="session-row"]:not([data-current])');
  await other.getByRole("button", { name: /Revoke session/ }).click();
  await expect(a.getByText("Session signed out.")).toBeVisible();
  await expect(rows).toHaveCount(1);

  // Browser B's session is gone: the next page load goes to /login.
  await b.goto("/profile");
  await expect(b).toHaveURL(/\/login$/);

  // Log out everywhere (with confirmation) ends this session too.
  await a.getByRole("button", { name: "Log out everywhere" }).click();
  const dialog = a.getByRole("alertdialog", { name: "Log out everywhere?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(a).toHaveURL(/\/login$/);
  await a.goto("/");
  await expect(a).toHaveURL(/\/login$/);
});
