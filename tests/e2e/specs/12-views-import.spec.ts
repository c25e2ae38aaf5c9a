import { api, baseUrl, expect, test } from "../helpers";
import { createLead, gridRows, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

test("saved views: save the current filters, switch away, reopen it; the last used view survives a reload", async ({ page, browser }) => {
  await useSession(page, browser, "tina");
  const probe = await api(page, "GET", "/views");
  test.skip(probe.status === 404, "this server has no saved views yet");
  const tag = uniq("view");
  await createLead(page, { username: `${tag}_small`, followers: 50 });
  await createLead(page, { username: `${tag}_big`, followers: 50_000 });

  await page.goto("/leads");
  await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
  await page.getByRole("combobox", { name: "Followers" }).selectOption("10k-100k");
  await expect(page.getByTestId("lead-count")).toHaveText("1 lead");
  await page.getByRole("button", { name: "Saved views" }).click();
  await page.getByRole("button", { name: "Save as new view…" }).click();
  const name = `Big ${tag}`;
  await page.getByRole("dialog", { name: "Save view" }).getByLabel("View name").fill(name);
  await page.getByRole("dialog", { name: "Save view" }).getByRole("button", { name: "Save view" }).click();
  await expect(page.getByRole("button", { name: "Saved views" })).toHaveText(`View: ${name}`);

  // Reload: same view, same filters.
  await page.reload();
  await expect(page.getByRole("button", { name: "Saved views" })).toHaveText(`View: ${name}`);
  await expect(page.getByRole("searchbox", { name: "Search leads" })).toHaveValue(tag);
  await expect(page.getByTestId("lead-count")).toHaveText("1 lead");

  // Switch to the default view and back.
  await page.getByRole("button", { name: "Saved views" }).click();
  await page.getByRole("button", { name: "Default (all leads)" }).click();
  await expect(page.getByRole("searchbox", { name: "Search leads" })).toHaveValue("");
  await page.getByRole("button", { name: "Saved views" }).click();
  await page.getByRole("button", { name, exact: true }).click();
  await expect(page.getByRole("searchbox", { name: "Search leads" })).toHaveValue(tag);
  await expect.poll(async () => (await gridRows(page)).map((r) => r[0])).toEqual([`${tag}_big`]);
});

test("CSV import: upload, mapping guessed, preview, dedupe, progress and report", async ({ page, browser }) => {
  await useSession(page, browser, "tina");
  const cookies = await page.context().cookies();
  const csrf = decodeURIComponent(cookies.find((c) => c.name === "leadgen_csrf")?.value ?? "");
  const probe = await page.request.fetch(`${baseUrl()}/api/v1/imports`, {
    method: "POST",
    headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrf },
    data: "username\nprobe_only\n",
  });
  test.skip(probe.status() === 404, "this server has no CSV import yet");

  const tag = uniq("imp");
  await createLead(page, { username: `${tag}_old`, full_name: "Existing" });
  const csv = `Instagram Username,Name,E-Mail,Followers\n${tag}_old,Updated Name,old@example.test,10\n${tag}_new1,New One,one@example.test,1500\n${tag}_new2,New Two,two@example.test,lots\n`;
  await page.goto("/leads");
  await page.getByRole("button", { name: "Import CSV" }).click();
  const dialog = page.getByRole("dialog", { name: "Import leads from CSV" });
  await dialog.getByLabel("CSV file").setInputFiles({ name: "leads.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await dialog.getByRole("button", { name: "Upload and preview" }).click();
  await expect(dialog.getByLabel("Field for column Instagram Username")).toHaveValue("username");
  await expect(dialog.getByLabel("Field for column E-Mail")).toHaveValue("email");
  await expect(dialog.getByTestId("import-row")).toHaveCount(3);
  // A cell that would be refused is marked in the preview.
  await expect(dialog.getByTestId("import-row").nth(2).locator(".cell-error")).toContainText("lots");
  await dialog.getByLabel("When a lead exists").selectOption("update");
  // The check counts the whole file before the run; the button counts the rows that will be imported.
  await expect(dialog.getByTestId("import-check")).toContainText("1 will fail");
  await expect(dialog.getByRole("button", { name: "Import 2 rows" })).toBeVisible();
  await dialog.getByRole("button", { name: "Import 2 rows" }).click();
  const report = dialog.getByTestId("import-report");
  await expect(report).toBeVisible({ timeout: 30_000 });
  await expect(report).toContainText(/Added\s*1/);
  await expect(report).toContainText(/Updated\s*1/);
  await expect(dialog.getByRole("list", { name: "Rows not imported" })).toContainText("Row 3");
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
  await expect(page.getByTestId("lead-count")).toHaveText("2 leads");
  const r = await api(page, "GET", `/leads?search=${tag}_old`);
  expect(r.body.items[0].full_name).toBe("Updated Name");
  // A new lead's history names the import that created it.
  await openLeads(page, `${tag}_new1`, 1);
  await selectCell(page, 0, 1);
  await page.getByRole("button", { name: "Details" }).click();
  const drawer = page.getByRole("dialog", { name: `@${tag}_new1` });
  await expect(drawer.getByRole("region", { name: "History" })).toContainText("create by an import");
});

test("CSV export follows the current search, sort and visible columns", async ({ page, browser }) => {
  await useSession(page, browser, "tina");
  const tag = uniq("exp");
  await createLead(page, { username: `${tag}_a`, followers: 5, email: "a@example.test" });
  await createLead(page, { username: `${tag}_b`, followers: 50, email: "b@example.test" });
  await page.goto("/leads");
  await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
  await expect(page.getByTestId("lead-count")).toHaveText("2 leads");
  await page.getByRole("button", { name: "Sort" }).click();
  await page.getByRole("combobox", { name: "Sort column 1" }).selectOption("followers");
  await page.getByRole("combobox", { name: "Sort direction 1" }).selectOption("desc");
  await page.keyboard.press("Escape");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export" }).click();
  await page.getByLabel("CSV (commas, UTF-8)").check();
  await page.getByLabel("The visible columns, in their order").check();
  await page.getByRole("button", { name: "Download" }).click();
  const file = await (await download).path();
  const text = (await import("node:fs")).readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const lines = text.trim().split(/\r?\n/);
  expect(lines[0].split(",").slice(0, 3)).toEqual(["username", "full_name", "followers"]);
  expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual([`${tag}_b`, `${tag}_a`]);
});
