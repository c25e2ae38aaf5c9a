import { baseUrl, createUser, expect, newPage, shoot, signIn, signInAdmin, test } from "../helpers";

test("an API token created in the UI works from a script with plain HTTP, and stops after revoke", async ({ page, browser }) => {
  await signInAdmin(page);
  await page.goto("/profile");
  await expect(page.getByRole("heading", { name: "Profile", level: 1 })).toBeVisible();
  await expect(page.getByText("Two-factor authentication is on.")).toBeVisible();
  await shoot(page, "profile");
  const tina = await createUser(page, "tina", "user");
  await page.context().close();

  const p = await newPage(browser);
  await signIn(p, tina);
  await p.goto("/profile");
  await expect(p.getByText("No API tokens yet")).toBeVisible();
  await p.getByRole("button", { name: "New token" }).click();
  const dialog = p.getByRole("dialog", { name: "New API token" });
  await dialog.getByLabel("Name").fill("e2e script");
  await dialog.getByLabel("Scope").selectOption("read");
  await dialog.getByLabel("Expires after (days, optional)").fill("7");
  await dialog.getByRole("button", { name: "Create token" }).click();
  const secretEl = p.getByTestId("token-secret");
  await expect(secretEl).toBeVisible();
  const secret = (await secretEl.innerText()).trim();
  expect(secret).toMatch(/^lg_pat_/);
  await p.getByRole("button", { name: "Done" }).click();
  const row = p.getByTestId("token-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("e2e script");

  // A script: plain fetch with a bearer token, no cookies.
  const me = await fetch(`${baseUrl()}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status).toBe(200);
  expect((await me.json()).username).toBe("tina");

  // Revoke with confirmation; the token stops working.
  await row.getByRole("button", { name: "Revoke token e2e script" }).click();
  const confirm = p.getByRole("alertdialog");
  await confirm.getByRole("button", { name: "Revoke token" }).click();
  await expect(p.getByText("No API tokens yet")).toBeVisible();
  const after = await fetch(`${baseUrl()}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status).toBe(401);
});
