// Spreadsheet moves in the leads grid, driven through the canvas with the mouse and the keyboard and checked
// through the HTTP API: paste a 3×3 block from the clipboard (and undo it), fill down with Ctrl+D, and fill
// down by dragging the fill handle.
import type { Page } from "@playwright/test";
import { createUser, expect, loadAccount, newPage, signInAdmin, test } from "../helpers";
import { createLead, getLead, gridRows, openLeads, selectCell, uniq, useSession } from "./leads-helpers";

// Glide reads the clipboard with navigator.clipboard.read() when the grid gets a paste event.
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

// Geometry the adapter (LeadGrid.tsx) sets: 48 px row markers, a 34 px header, 32 px rows; default widths of
// the first visible columns (columns.ts).
const MARKERS = 48;
const HEADER = 34;
const ROW = 32;
const WIDTH = { username: 170, full_name: 170 };
// Visible column index (0 = username) and left edge (from the canvas' left) of Full name; Followers and
// Following are the next two columns.
const COL = { full_name: 1 };
const LEFT = { full_name: MARKERS + WIDTH.username };

// A user of its own (fresh workspace), so this file only needs 01-first-login before it.
const USER = "clara";

type Lead = Record<string, unknown> & { id: string };

/** Fields that change on every write; everything else must stay as it was unless the test changed it. */
function stable(l: Lead, except: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...l };
  for (const k of ["version", "updated_at", ...except]) delete out[k];
  return out;
}

/** Creates `n` leads `${tag}_0…` and returns them in the order the grid shows them (rows 0…n-1). */
async function leadsInGridOrder(page: Page, tag: string, n: number): Promise<Lead[]> {
  const byName = new Map<string, Lead>();
  for (let i = 0; i < n; i++) {
    const l = await createLead(page, {
      username: `${tag}_${i}`,
      full_name: `Person ${i}`,
      followers: 1000 + i,
      following: 100 + i,
      posts: 10 + i,
      email: `p${i}@example.test`,
      tags: ["clip"],
    });
    byName.set(l.username, l as Lead);
  }
  await openLeads(page, tag, n);
  await expect.poll(async () => (await gridRows(page)).length).toBe(n);
  const names = (await gridRows(page)).map((r) => r[0]);
  return names.map((u) => {
    const l = byName.get(u);
    if (!l) throw new Error(`unexpected grid row ${u}`);
    return l;
  });
}

async function fetchAll(page: Page, leads: Lead[]): Promise<Lead[]> {
  return Promise.all(leads.map(async (l) => (await getLead(page, l.id)) as Lead));
}

function pick(l: Lead, fields: string[]): unknown[] {
  return fields.map((f) => l[f]);
}

test.describe("grid clipboard and fill", () => {
  test.beforeAll(async ({ browser }) => {
    if (loadAccount(USER).password) return;
    const admin = await newPage(browser);
    await signInAdmin(admin);
    await createUser(admin, USER, "user");
    await admin.context().close();
  });

  test.beforeEach(async ({ page, browser }) => {
    await useSession(page, browser, USER);
  });

  test("paste a 3×3 block: exactly those 9 cells change; one Ctrl+Z puts them back", async ({ page }) => {
    const tag = uniq("paste");
    const rows = await leadsInGridOrder(page, tag, 5);
    const before = await fetchAll(page, rows);

    // Rows 1–3 × Full name, Followers, Following.
    const block = [
      ["Pasted One", "51", "61"],
      ["Pasted Two", "52", "62"],
      ["Pasted Three", "53", "63"],
    ];
    const fields = ["full_name", "followers", "following"];
    const expected = block.map(([name, a, b]) => [name, Number(a), Number(b)]);
    await page.evaluate((text) => navigator.clipboard.writeText(text), block.map((r) => r.join("\t")).join("\n"));

    await selectCell(page, 1, COL.full_name);
    await page.keyboard.press("Control+V");
    await expect
      .poll(async () => (await fetchAll(page, rows.slice(1, 4))).map((l) => pick(l, fields)), { timeout: 15_000 })
      .toEqual(expected);

    // Nothing else changed: the other fields of rows 1–3, and rows 0 and 4 entirely.
    const after = await fetchAll(page, rows);
    for (const i of [0, 4]) expect(stable(after[i]), `row ${i}`).toEqual(stable(before[i]));
    for (const i of [1, 2, 3]) expect(stable(after[i], fields), `row ${i}`).toEqual(stable(before[i], fields));
    // The grid shows the pasted values too.
    await expect.poll(async () => (await gridRows(page)).slice(1, 4).map((r) => r[COL.full_name])).toEqual(block.map((r) => r[0]));

    // One undo reverts the whole paste (it was one step), and only it.
    await page.keyboard.press("Control+z");
    await expect
      .poll(async () => (await fetchAll(page, rows)).map((l) => stable(l)), { timeout: 15_000 })
      .toEqual(before.map((l) => stable(l)));
  });

  test("fill down with Ctrl+D: the first row of the selection is copied into the rows below; Ctrl+Z undoes", async ({ page }) => {
    const tag = uniq("filld");
    const rows = await leadsInGridOrder(page, tag, 5);
    const before = await fetchAll(page, rows);

    // Select Full name + Followers of rows 0–3, then fill down.
    await selectCell(page, 0, COL.full_name);
    await page.keyboard.press("Shift+ArrowRight");
    for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Control+d");

    const fields = ["full_name", "followers"];
    const source = pick(before[0], fields);
    await expect
      .poll(async () => (await fetchAll(page, rows.slice(1, 4))).map((l) => pick(l, fields)), { timeout: 15_000 })
      .toEqual([source, source, source]);
    const after = await fetchAll(page, rows);
    for (const i of [0, 4]) expect(stable(after[i]), `row ${i}`).toEqual(stable(before[i]));
    for (const i of [1, 2, 3]) expect(stable(after[i], fields), `row ${i}`).toEqual(stable(before[i], fields));

    await page.keyboard.press("Control+z");
    await expect
      .poll(async () => (await fetchAll(page, rows)).map((l) => stable(l)), { timeout: 15_000 })
      .toEqual(before.map((l) => stable(l)));
  });

  test("fill down by dragging the fill handle over 3 rows", async ({ page }) => {
    const tag = uniq("fillh");
    const rows = await leadsInGridOrder(page, tag, 5);
    const before = await fetchAll(page, rows);

    await selectCell(page, 0, COL.full_name);
    const box = await page.getByTestId("data-grid-canvas").boundingBox();
    if (!box) throw new Error("grid canvas not visible");
    // The handle sits on the bottom-right corner of the selected cell (Glide: 2 px in from the corner).
    const x = box.x + LEFT.full_name + WIDTH.full_name - 2;
    const y = (row: number) => box.y + HEADER + row * ROW + ROW - 2;
    await page.mouse.move(x, y(0));
    await page.mouse.down();
    // Move in steps so the grid sees the drag cross each row.
    for (let r = 1; r <= 3; r++) await page.mouse.move(x - 20, y(r) - ROW / 2, { steps: 4 });
    await page.mouse.up();

    await expect
      .poll(async () => (await fetchAll(page, rows.slice(1, 4))).map((l) => l.full_name), { timeout: 15_000 })
      .toEqual([before[0].full_name, before[0].full_name, before[0].full_name]);
    const after = await fetchAll(page, rows);
    for (const i of [0, 4]) expect(stable(after[i]), `row ${i}`).toEqual(stable(before[i]));
    for (const i of [1, 2, 3]) expect(stable(after[i], ["full_name"]), `row ${i}`).toEqual(stable(before[i], ["full_name"]));
  });
});
