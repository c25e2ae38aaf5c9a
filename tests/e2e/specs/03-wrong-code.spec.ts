import { expect, loadAccount, test } from "../helpers";

test("a wrong TOTP code says so and how many attempts are left", async ({ page }) => {
  const acc = loadAccount("admin");
  await page.goto("/login");
  await page.getByLabel("Username").fill(acc.username);
  await page.getByLabel("Password", { exact: true }).fill(acc.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const code = page.getByLabel("6-digit code from your authenticator app");
  await expect(code).toBeFocused();
  await code.fill("000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText(/That code is not right\.( \d+ attempts? left\.)?/);
  // The field is cleared and focused for the next try.
  await expect(code).toHaveValue("");
  await expect(code).toBeFocused();
});

test("wrong password says so", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("definitely-not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
});
