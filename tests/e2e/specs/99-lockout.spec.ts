import { createUser, expect, signInAdmin, test } from "../helpers";

// Last on purpose: repeated failures may also trip the per-IP login rate limit.
test("repeated wrong passwords lock the account with a clear wait message", async ({ page }) => {
  await signInAdmin(page);
  await createUser(page, "lucy", "user");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  const alert = page.getByRole("alert");
  let message = "";
  for (let i = 0; i < 15; i++) {
    await page.getByLabel("Username").fill("lucy");
    await page.getByLabel("Password", { exact: true }).fill(`wrong-password-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    message = (await alert.innerText()).trim();
    if (message.startsWith("Too many failed attempts")) break;
    expect(message).toBe("Wrong username or password.");
  }
  expect(message).toMatch(/^Too many failed attempts\. Try again in \d+ (minute|minutes|seconds?)\.$/);
});
