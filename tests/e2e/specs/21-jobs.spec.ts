// Background jobs: the admin starts a large import, sees it running with its progress on the Jobs page, cancels it
// there and sees it stop — the Jobs page and the import itself say cancelled, the leads written so far stay. The
// dashboard's background-work panel lists the import too.
import { expect, test } from "../helpers";
import { uniq, useSession } from "./leads-helpers";

const ROWS = 200_000;
const SHOTS = process.env.JOBS_SHOTS;

function bigCsv(tag: string): Buffer {
  const lines = ["username,full_name,followers"];
  for (let i = 1; i <= ROWS; i++) lines.push(`${tag}_${i},Lead ${i},${i}`);
  return Buffer.from(lines.join("\n") + "\n");
}

test("the admin cancels a running import on the Jobs page and it stops", async ({ page, browser }) => {
  await useSession(page, browser, "admin");
  const tag = uniq("job");
  await page.goto("/leads");
  await page.getByRole("button", { name: "Import CSV" }).click();
  const dialog = page.getByRole("dialog", { name: "Import leads from CSV" });
  await dialog.getByLabel("CSV file").setInputFiles({ name: "big.csv", mimeType: "text/csv", buffer: bigCsv(tag) });
  // A 6 MB file: the dialog takes a while to read, upload and preview it on a busy machine.
  await dialog.getByRole("button", { name: "Upload and preview" }).click({ timeout: 60_000 });
  await dialog.getByRole("button", { name: /^Import [\d,]+ rows$/ }).click({ timeout: 60_000 });
  await expect(dialog.getByRole("progressbar", { name: "Import progress" })).toBeVisible();

  // The Jobs page, in another tab of the same session.
  const jobs = await page.context().newPage();
  await jobs.goto("/admin/jobs");
  await expect(jobs.getByRole("heading", { name: "Jobs", level: 1 })).toBeVisible();
  const row = jobs.getByTestId("job-row").filter({ hasText: "Import of big.csv" });
  await expect(row).toHaveAttribute("data-state", "running");
  await expect(row).toContainText("admin");
  const bar = row.getByRole("progressbar");
  // Its progress moves (the page polls every 2 s while something runs).
  await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 30_000 }).toBeGreaterThan(0);
  const imports = jobs.getByTestId("queue-card").filter({ hasText: "imports" });
  await expect(imports.locator(".queue-figure", { hasText: "Running" }).locator("dd")).toHaveText("1");
  if (SHOTS) {
    await jobs.screenshot({ path: `${SHOTS}/jobs-running-desktop.png`, fullPage: true });
    await jobs.setViewportSize({ width: 390, height: 844 });
    await jobs.screenshot({ path: `${SHOTS}/jobs-running-phone.png`, fullPage: true });
    await jobs.setViewportSize({ width: 1280, height: 800 });
  }

  await row.getByRole("button", { name: "Cancel" }).click();
  const confirm = jobs.getByRole("alertdialog");
  await expect(confirm).toContainText("Cancel this import?");
  await expect(confirm).toContainText("Leads imported so far stay");
  await confirm.getByRole("button", { name: "Cancel import" }).click();
  await expect(row).toHaveAttribute("data-state", "cancelled", { timeout: 30_000 });
  await expect(row.getByRole("button", { name: "Cancel" })).toHaveCount(0);
  await expect(imports.locator(".queue-figure", { hasText: "Running" }).locator("dd")).toHaveText("0");
  const stoppedAt = await row.locator(".job-progress-text").innerText();
  if (SHOTS) await jobs.screenshot({ path: `${SHOTS}/jobs-cancelled-desktop.png`, fullPage: true });

  // The import itself says cancelled, with the leads it wrote before the stop.
  await page.bringToFront();
  const cancelled = dialog.getByTestId("import-cancelled");
  await expect(cancelled).toBeVisible({ timeout: 15_000 });
  await expect(dialog.getByText(/ rows · cancelled$/)).toBeVisible();
  const kept = Number((await cancelled.innerText()).match(/([\d,]+) leads? added/)?.[1].replace(/,/g, ""));
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThan(ROWS);
  expect(stoppedAt).toContain(kept.toLocaleString("en-US"));
  await dialog.getByRole("button", { name: "Done" }).click();

  // Nothing more is added after the stop (the import's counts are written with its leads, in one transaction).
  const listed = await page.request.get("/api/v1/admin/jobs?kind=leads.import&state=cancelled");
  const importId = ((await listed.json()) as { items: Array<{ label: string; subject: { id: string } | null }> }).items.find(
    (j) => j.label === "Import of big.csv",
  )?.subject?.id;
  expect(importId).toBeTruthy();
  const inserted = async () => ((await (await page.request.get(`/api/v1/imports/${importId}`)).json()) as { inserted: number }).inserted;
  expect(await inserted()).toBe(kept);
  await page.waitForTimeout(1500);
  expect(await inserted()).toBe(kept);

  // The dashboard's background-work panel lists it.
  await page.goto("/");
  const panel = page.getByTestId("background-work");
  const mine = panel.getByTestId("my-job").filter({ hasText: "Import of big.csv" });
  await expect(mine).toContainText("cancelled");
  if (SHOTS) {
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/background-work-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/background-work-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});
