// Browser speed of the leads grid (not a test; started by scripts/bench-grid against a seeded server):
//  - first rows: from the start of a navigation to /leads until the first rows are drawn with their data;
//  - last rows: from pressing Ctrl+End in the grid until the last row is drawn with its data.
// Timing happens inside the page (performance.now()), from the wrapper attributes LeadGrid.tsx keeps up to date
// (data-first-row, data-last-row, data-rows-loaded, data-rows, data-rows-estimate), to the next animation frame
// after they say so (the frame that paints the canvas the grid has just drawn). When Ctrl+End is pressed while the
// row count is still an estimate, the last rows are those of the exact count, which the grid follows to.
//
// Env: BENCH_BASE_URL, BENCH_USER, BENCH_PASSWORD (a user without 2FA yet: 2FA is set up on the way in),
// BENCH_EXPECT_ROWS (the number of leads, to spot an estimated total), RUNS (default 5),
// CHROMIUM_PATH (default /usr/bin/chromium).
import { chromium, type APIRequestContext, type Page } from "@playwright/test";
import { Secret, TOTP } from "otpauth";

const base = need("BENCH_BASE_URL");
const username = need("BENCH_USER");
const password = need("BENCH_PASSWORD");
const runs = Number(process.env.RUNS ?? 5);
// How many leads the workspace holds (the seed count), to tell when the grid's row count is only an estimate.
const expected = process.env.BENCH_EXPECT_ROWS ? Number(process.env.BENCH_EXPECT_ROWS) : undefined;
const TIMEOUT = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run scripts/bench-grid)`);
  return v;
}

/** Signs in through the API (password, then the 2FA setup the default policy asks for); cookies land in `req`. */
async function signIn(req: APIRequestContext): Promise<void> {
  const post = async (path: string, data: unknown) => {
    const res = await req.post(`${base}/api/v1${path}`, { data });
    if (!res.ok()) throw new Error(`POST ${path}: ${res.status()} ${await res.text()}`);
    return res.json();
  };
  let step = await post("/auth/login", { username, password });
  if (step.status === "totp_setup_required") {
    const setup = await post("/auth/login/totp-setup", { pending_token: step.pending_token });
    const code = new TOTP({ secret: Secret.fromBase32(setup.secret), digits: 6, period: 30, algorithm: "SHA1" }).generate();
    step = await post("/auth/login/totp-setup/confirm", { pending_token: step.pending_token, code });
  }
  if (step.status !== "ok") throw new Error(`sign-in stopped at ${step.status}`);
}

// What the page records (performance.now() times; -1 while waiting for the frame). firstApi/lastApi: when the
// last leads list request made by then (GET /api/v1/leads?…) was answered, to tell the server's share from the
// front end's. endRows/endEstimate: the grid's row count when Ctrl+End was pressed and whether it was an estimate;
// finalRows: the row count when the last rows showed.
type Bench = {
  firstRows?: number;
  firstApi?: number;
  endPressed?: number;
  endRows?: number;
  endEstimate?: boolean;
  finalRows?: number;
  lastRows?: number;
  lastApi?: number;
};

// Runs in the page before its scripts: watches the grid wrapper and records, relative to the navigation start,
// when the first rows and (after Ctrl+End) the last rows are on screen.
function instrument(): void {
  const w = window as unknown as { __bench: Bench };
  w.__bench = {};
  const listAnswered = (after: number) => {
    const ends = performance
      .getEntriesByType("resource")
      .filter((e) => /\/api\/v1\/leads\?/.test(e.name) && e.startTime >= after)
      .map((e) => (e as PerformanceResourceTiming).responseEnd);
    return ends.length ? Math.max(...ends) : NaN;
  };
  const check = () => {
    const g = document.querySelector<HTMLElement>("[data-testid=lead-grid]");
    if (!g || g.dataset.rowsLoaded !== "true") return;
    const b = w.__bench;
    const rows = Number(g.dataset.rows);
    if (b.firstRows === undefined && g.dataset.firstRow === "0") {
      b.firstRows = -1; // pending the frame
      requestAnimationFrame(() => {
        b.firstApi = listAnswered(0);
        b.firstRows = performance.now();
      });
    }
    // The last row of the exact count: pressed while the count was an estimate, the grid first jumps to the
    // estimate's end, then follows to the real end when the exact count arrives.
    if (b.endRows !== undefined && b.lastRows === undefined && g.dataset.rowsEstimate !== "true" && Number(g.dataset.lastRow) >= rows - 1) {
      b.lastRows = -1;
      b.finalRows = rows;
      requestAnimationFrame(() => {
        b.lastApi = listAnswered(b.endPressed!) - b.endPressed!;
        b.lastRows = performance.now();
      });
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-rows-loaded", "data-first-row", "data-last-row", "data-rows", "data-rows-estimate"],
  });
  // Capture phase on window: before the grid handles the key.
  window.addEventListener(
    "keydown",
    (e) => {
      if (e.key === "End" && (e.ctrlKey || e.metaKey) && w.__bench.endPressed === undefined) {
        const g = document.querySelector<HTMLElement>("[data-testid=lead-grid]");
        w.__bench.endPressed = performance.now();
        w.__bench.endRows = Number(g?.dataset.rows);
        w.__bench.endEstimate = g?.dataset.rowsEstimate === "true";
        check();
      }
    },
    true,
  );
}

/** Says where the page got stuck when a wait times out (signed out? no grid? rows never loaded?). */
async function explain<T>(page: Page, what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const grid = await page
      .locator("[data-testid=lead-grid]")
      .evaluate((g: HTMLElement) => JSON.stringify(g.dataset), undefined, { timeout: 1000 })
      .catch(() => "no grid on the page");
    throw new Error(`${what}: ${(e as Error).message.split("\n")[0]} (at ${page.url()}; grid ${grid})`);
  }
}

interface Run {
  first: number;
  firstApi: number;
  last: number;
  lastApi: number;
  /** The grid's row count when the last rows showed (should be every lead). */
  rows: number;
  /** The row count when Ctrl+End was pressed, if it was an estimate then (the grid followed to the exact end). */
  estimatedAtPress?: number;
}

async function measure(page: Page): Promise<Run> {
  await page.goto("/leads", { waitUntil: "commit" });
  await explain(page, "first rows never showed", page.waitForFunction(() => {
    const v = (window as unknown as { __bench: Bench }).__bench.firstRows;
    return v !== undefined && v >= 0;
  }, undefined, { timeout: TIMEOUT, polling: 50 }));
  // Focus the grid on a cell of the first row (username column), then jump to the end.
  const box = await page.getByTestId("data-grid-canvas").boundingBox();
  if (!box) throw new Error("grid canvas not visible");
  await page.mouse.click(box.x + 48 + 30, box.y + 34 + 16);
  await page.keyboard.press("Control+End");
  await explain(page, "last rows never showed after Ctrl+End", page.waitForFunction(() => {
    const b = (window as unknown as { __bench: Bench }).__bench;
    return b.lastRows !== undefined && b.lastRows >= 0;
  }, undefined, { timeout: TIMEOUT, polling: 50 }));
  const b = await page.evaluate(() => (window as unknown as { __bench: Bench }).__bench);
  return {
    first: b.firstRows!,
    firstApi: b.firstApi!,
    last: b.lastRows! - b.endPressed!,
    lastApi: b.lastApi!,
    rows: b.finalRows!,
    estimatedAtPress: b.endEstimate ? b.endRows : undefined,
  };
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x)} ms` : "n/a";
}

function stats(xs: number[]): { p50: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  // Median (the mean of the middle two for an even count).
  const mid = Math.floor(s.length / 2);
  const p50 = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { p50, max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
    // tsx (esbuild keepNames) wraps named inner functions in __name(…), which the page does not have.
    await context.addInitScript({ content: "globalThis.__name ??= (f) => f;" });
    await context.addInitScript(instrument);
    await signIn(context.request);
    const page = await context.newPage();
    const all: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const m = await measure(page);
      all.push(m);
      // BENCH_SCREENSHOT=path.png: the grid as the last run left it (its last rows, after Ctrl+End).
      const shot = process.env.BENCH_SCREENSHOT;
      if (i === runs - 1 && shot) await page.screenshot({ path: shot });
      const short = expected !== undefined && m.rows !== expected ? ` [only reached row ${fmt(m.rows)} of ${fmt(expected)}]` : "";
      const followed =
        m.estimatedAtPress !== undefined ? ` [pressed while the count was an estimate (${fmt(m.estimatedAtPress)}); followed to row ${fmt(m.rows)}]` : "";
      console.log(
        `run ${i + 1}/${runs}: first rows ${ms(m.first)} (leads list answered at ${ms(m.firstApi)}), ` +
          `Ctrl+End last rows ${ms(m.last)} (list answered at ${ms(m.lastApi)})${short}${followed}`,
      );
    }
    const n = fmt(expected ?? all[0].rows);
    const f = stats(all.map((m) => m.first));
    console.log(`grid first rows: p50 ${ms(f.p50)}, max ${ms(f.max)} (${n} leads, ${runs} runs; goal < 1500 ms)`);
    // Ctrl+End only counts when it reached the last lead (the grid's exact count is every lead).
    const whole = all.filter((m) => expected === undefined || m.rows === expected);
    const left = all.length - whole.length;
    const note = left ? `; ${left} run(s) left out, where Ctrl+End stopped short of the last lead` : "";
    if (whole.length) {
      const l = stats(whole.map((m) => m.last));
      console.log(`grid Ctrl+End last rows: p50 ${ms(l.p50)}, max ${ms(l.max)} (${n} leads, ${whole.length} runs${note}; goal < 1000 ms)`);
    } else {
      console.log(`grid Ctrl+End last rows: not measured: in no run did the grid have all ${n} rows${note}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
