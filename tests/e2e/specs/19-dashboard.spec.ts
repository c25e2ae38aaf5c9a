// The first page a user sees: what to do first in an empty workspace; then their leads by status, what needs
// attention and their latest imports.
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { createLead, useSession } from "./leads-helpers";

const USER = "dana";
const SHOTS = process.env.WSUI_SHOTS;

test("the dashboard says what to do first, then what your work looks like", async ({ page, browser }) => {
  if (!loadAccount(USER).password) {
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, USER, "user");
    await admin.context().close();
  }
  await useSession(page, browser, USER);
  await page.goto("/");
  const empty = page.getByTestId("dashboard-empty");
  await expect(empty).toContainText("Start with your leads");
  if (SHOTS) {
    await page.screenshot({ path: `${SHOTS}/dashboard-empty-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/dashboard-empty-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  // Its first step opens the import.
  await empty.getByRole("link", { name: "Import CSV" }).click();
  await expect(page.getByRole("dialog", { name: "Import leads from CSV" })).toBeVisible();
  const csv = "Benutzername,Vollständiger Name\ndash_a,Anna\ndash_b,Ben\ndash_c,Carla\nbad name!,X\n";
  const dialog = page.getByRole("dialog", { name: "Import leads from CSV" });
  await dialog.getByLabel("CSV file").setInputFiles({ name: "erste-kunden.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await dialog.getByRole("button", { name: "Upload and preview" }).click();
  await dialog.getByRole("button", { name: "Import 3 rows" }).click();
  await expect(dialog.getByTestId("import-report")).toBeVisible({ timeout: 30_000 });
  await dialog.getByRole("button", { name: "Done" }).click();
  await createLead(page, { username: "dash_r", status: "replied", email: "r@example.test" });
  await createLead(page, { username: "dash_q", status: "qualified", email: "q@example.test" });

  await page.goto("/");
  await expect(page.getByText("5 leads in your workspace.")).toBeVisible();
  const bars = page.getByRole("list", { name: "Leads by status" });
  await expect(bars.getByTestId("status-row").first()).toContainText(/New\s*3/);
  await expect(page.getByTestId("attention")).toContainText("1 lead replied — answer them");
  await expect(page.getByTestId("attention")).toContainText("3 new leads have no e-mail address");
  await expect(page.getByTestId("recent-imports")).toContainText("erste-kunden.csv");
  if (SHOTS) {
    await page.screenshot({ path: `${SHOTS}/dashboard-data-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/dashboard-data-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  // "Answer them" opens the grid on those leads.
  await page.getByRole("link", { name: /replied — answer them/ }).click();
  await expect(page.getByTestId("lead-count")).toHaveText("1 lead");
});
