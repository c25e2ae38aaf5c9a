// An import as a new user runs it: the preview says before the run how many rows will fail and how many are
// duplicates (in the file and among the leads you have), the button counts the rows it will import, and the
// report lists which rows were skipped and why.
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { createLead, uniq, useSession } from "./leads-helpers";

const USER = "ines";
const SHOTS = process.env.WSUI_SHOTS;

test.describe("import check", () => {
  test.beforeAll(async ({ browser }) => {
    if (loadAccount(USER).password) return;
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, USER, "user");
    await admin.context().close();
  });

  test("counts before the run, skipped rows after it", async ({ page, browser }) => {
    await useSession(page, browser, USER);
    const t = uniq("chk");
    await createLead(page, { username: `${t}_anna` });
    const csv =
      "Vollständiger Name;Benutzername;Abonnenten;E-Mail-Adresse\n" +
      `Anna Alt;${t}_anna;10;anna@example.test\n` +
      `Ben Bäcker;${t}_ben;1.234;ben@example.test\n` +
      `Ben doppelt;${t}_ben;5;\n` +
      `Carla;${t}_carla;viele;carla@\n` +
      `Dora;${t}_dora;12,5k;dora@example.test\n`;
    await page.goto("/leads");
    await page.getByRole("button", { name: "Import CSV" }).click();
    const dialog = page.getByRole("dialog", { name: "Import leads from CSV" });
    await dialog.getByLabel("CSV file").setInputFiles({ name: "kunden.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await dialog.getByRole("button", { name: "Upload and preview" }).click();

    // German headers are recognised.
    await expect(dialog.getByLabel("Field for column Vollständiger Name")).toHaveValue("full_name");
    await expect(dialog.getByLabel("Field for column Benutzername")).toHaveValue("username");
    await expect(dialog.getByLabel("Field for column Abonnenten")).toHaveValue("followers");
    const check = dialog.getByTestId("import-check");
    await expect(check).toContainText("2 new");
    await expect(check).toContainText("1 already a lead");
    await expect(check).toContainText("1 repeats an earlier row");
    await expect(check).toContainText("1 will fail");
    await check.getByText("Why rows will fail").click();
    await expect(check).toContainText("Row 4");
    await expect(dialog.getByRole("button", { name: "Import 2 rows" })).toBeVisible();
    if (SHOTS) {
      await page.screenshot({ path: `${SHOTS}/import-preview-desktop.png` });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: `${SHOTS}/import-preview-phone.png` });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    // Filling the leads you have counts them too.
    await dialog.getByLabel("When a lead exists").selectOption("update");
    await expect(dialog.getByRole("button", { name: "Import 4 rows" })).toBeVisible();
    await dialog.getByLabel("When a lead exists").selectOption("skip");

    await dialog.getByRole("button", { name: "Import 2 rows" }).click();
    const report = dialog.getByTestId("import-report");
    await expect(report).toBeVisible({ timeout: 30_000 });
    await expect(report).toContainText(/Added\s*2/);
    await expect(report).toContainText(/Skipped\s*2/);
    await dialog.getByText("Rows skipped (2)").click();
    const skipped = dialog.getByRole("list", { name: "Rows skipped" });
    await expect(skipped).toContainText(`Row 1: @${t}_anna is already a lead (kept as it was)`);
    await expect(skipped).toContainText(`Row 3: @${t}_ben repeats an earlier row of the file`);
    await expect(dialog.getByRole("list", { name: "Rows not imported" })).toContainText("Row 4");
  });
});
