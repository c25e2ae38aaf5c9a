// The do-not-contact list in bulk: paste a list, see what was added and what was not, export it.
import { readFileSync } from "node:fs";
import { expect, test } from "../helpers";
import { createLead, useSession } from "./leads-helpers";

const SHOTS = process.env.WSUI_SHOTS;

test("paste a list onto the do-not-contact list and export it", async ({ page, browser }) => {
  // dana: a user of her own (19-dashboard).
  await useSession(page, browser, "dana");
  await createLead(page, { username: "dnc_bulk_lead", email: "bulk@example.test" });
  await page.goto("/do-not-contact");
  const card = page.getByRole("form", { name: "Add many to the do-not-contact list" });
  await card.getByLabel("Usernames and e-mail addresses").fill("@dnc_bulk_lead\nspam@shop.example, nicht gültig!\n");
  await card.getByRole("button", { name: "Add 3" }).click();
  await expect(page.getByText("Added 2; 1 not valid; 1 lead marked do not contact.")).toBeVisible();
  // The invalid item stays in the box to be fixed.
  await expect(card.getByLabel("Usernames and e-mail addresses")).toHaveValue("nicht gültig!");
  await expect(page.getByRole("cell", { name: "Pasted on the do-not-contact page" }).first()).toBeVisible();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/dnc-bulk-desktop.png`, fullPage: true });

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await (await download).path();
  const text = readFileSync(file, "utf8");
  expect(text.split("\n")[0]).toBe("kind,value,reason,created_at");
  expect(text).toContain("username,dnc_bulk_lead,Pasted on the do-not-contact page,");
  expect(text).toContain("email,bulk@example.test,Pasted on the do-not-contact page,");
});
