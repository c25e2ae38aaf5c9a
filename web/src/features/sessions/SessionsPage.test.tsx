import { describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router";
import { ToastProvider } from "../../ui/Toasts";
import { ConfirmProvider } from "../../ui/ConfirmDialog";
import { apiError, ME, mockFetch } from "../../test/utils";
import SessionsPage from "./SessionsPage";
import NewSessionPage from "./NewSessionPage";
import SessionDetailPage from "./SessionDetailPage";
import { GenerateDraftsDialog } from "./GenerateDraftsDialog";
import { SessionTile } from "./SessionTile";
import type { Session } from "./api";
import { FakeEventSource, session, stage } from "./testData";

const USER = { ...ME, role: "user" as const };
const products = [{ id: "p1", name: "Coaching", description: null, variables: [], created_at: "2026-12-01T00:00:00Z", updated_at: "2026-12-01T00:00:00Z" }];
const estimate = {
  apify_runs: 3,
  profiles: 100,
  perplexity_calls: 100,
  openai_calls: 100,
  cost_usd: 1.23,
  lines: [
    { provider: "apify", what: "hashtag scraper runs", count: 2, unit_price_usd: 0.25, cost_usd: 0.5 },
    { provider: "openai", what: "e-mail drafts", count: 100, unit_price_usd: 0.0073, cost_usd: 0.73 },
  ],
};

function renderAt(route: string, me: unknown = USER) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  qc.setQueryData(["me"], me);
  const utils = render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[route]}>
        <ToastProvider>
          <ConfirmProvider>
            <Routes>
              <Route path="/sessions" element={<SessionsPage />} />
              <Route path="/sessions/new" element={<NewSessionPage />} />
              <Route path="/sessions/:id" element={<SessionDetailPage />} />
              <Route path="/" element={<SessionTile canWrite />} />
            </Routes>
          </ConfirmProvider>
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...utils, qc };
}

describe("SessionsPage", () => {
  it("explains what a session does when there is none", async () => {
    mockFetch({ "GET /api/v1/sessions": { body: { items: [], total: 0 } } });
    renderAt("/sessions");
    expect(await screen.findByText("No sessions yet")).toBeInTheDocument();
    expect(screen.getByText(/turns the accounts behind their posts into leads/)).toBeInTheDocument();
    const links = screen.getAllByRole("link", { name: /New session/ });
    expect(links.length).toBeGreaterThan(0);
    expect(links[0]).toHaveAttribute("href", "/sessions/new");
  });

  it("lists a running session with its stage's progress, pause, leads added and cost", async () => {
    const running = session({ pause: { until: new Date(Date.now() + 47_000).toISOString(), seconds: 47, remaining_seconds: 47 } });
    const done = session({ id: "s2", name: "Autumn", status: "done", current_stage: null, counts: { ...running.counts, leads_added: 120, failed: 0 }, cost_usd: 3.5 });
    const calls = mockFetch({
      "GET /api/v1/sessions": { body: { items: [running, done], total: 2 } },
      "GET /api/v1/sessions/s1": { body: running },
    });
    renderAt("/sessions");
    const rows = await screen.findAllByTestId("session-row");
    const r1 = within(rows[0]);
    expect(r1.getByRole("link", { name: "#fitness, #yoga" })).toHaveAttribute("href", "/sessions/s1");
    expect(r1.getByText("running")).toBeInTheDocument();
    expect(r1.getByText(/Enrich profiles/)).toBeInTheDocument();
    expect(r1.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "26");
    expect(r1.getByText(/50 of 200/)).toBeInTheDocument();
    expect(r1.getByText(/waiting 4[67] s before the next batch/)).toBeInTheDocument();
    expect(r1.getByText("$0.42")).toBeInTheDocument();
    expect(r1.getByRole("button", { name: "Cancel" })).toBeInTheDocument();
    const r2 = within(rows[1]);
    expect(r2.getByRole("link", { name: "Autumn" })).toBeInTheDocument();
    expect(r2.getByText("120")).toBeInTheDocument();
    expect(r2.queryByRole("button", { name: "Cancel" })).toBeNull();
    // The running one follows its progress (no EventSource in this browser: polling).
    await waitFor(() => expect(calls.some((c) => c.url.endsWith("/api/v1/sessions/s1"))).toBe(true));
  });
});

describe("NewSessionPage", () => {
  it("turns typed hashtags into chips, estimates the cost, shows the API's field errors and names a running session", async () => {
    let answer: { status: number; body: unknown } = apiError(422, "validation_failed", "invalid", { fields: { "hashtags[1]": ["This hashtag is not allowed."] } });
    const calls = mockFetch({
      "GET /api/v1/products": { body: products },
      "POST /api/v1/sessions/estimate": { body: estimate },
      "POST /api/v1/sessions": () => answer,
      "GET /api/v1/sessions/s1": { body: session({ status: "queued", stage_progress: [stage("crawl"), stage("enrich")] }) },
      "GET /api/v1/sessions/s1/log": { body: { items: [] } },
    });
    renderAt("/sessions/new");
    const user = userEvent.setup();
    const chipsBox = screen.getByLabelText(/Seed hashtags/);
    await user.type(chipsBox, "#Fitness, yoga {Enter}");
    const chips = screen.getAllByTestId("hashtag-chip");
    expect(chips.map((c) => c.textContent)).toEqual(["#fitness", "#yoga"]);
    await user.type(chipsBox, "#FITNESS{Enter}");
    expect(screen.getAllByTestId("hashtag-chip")).toHaveLength(2);

    // Start without a product: the form says so before asking the server.
    await user.click(screen.getByRole("button", { name: "Start session" }));
    expect(await screen.findByText("Pick the product the e-mails are about.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST" && c.url.endsWith("/sessions"))).toHaveLength(0);

    await user.selectOptions(screen.getByLabelText("Product"), "p1");
    // The estimate follows the form (debounced) and shows as a table.
    const total = await screen.findByTestId("estimate-total", {}, { timeout: 3000 });
    expect(total).toHaveTextContent("$1.23");
    const est = within(screen.getByTestId("session-estimate"));
    expect(est.getByText("hashtag scraper runs")).toBeInTheDocument();
    const estCall = calls.filter((c) => c.url.endsWith("/sessions/estimate")).at(-1)!;
    expect(estCall.body).toMatchObject({ hashtags: ["fitness", "yoga"], product_id: "p1", lead_ids: null });

    // 422 naming hashtags[1]: said next to the chips, the chip marked.
    await user.click(screen.getByRole("button", { name: "Start session" }));
    expect(await screen.findByText("#yoga: This hashtag is not allowed.")).toBeInTheDocument();
    expect(screen.getAllByTestId("hashtag-chip")[1]).toHaveAttribute("aria-invalid", "true");
    const sent = calls.filter((c) => c.method === "POST" && c.url.endsWith("/api/v1/sessions")).at(-1)!;
    expect(sent.body).toMatchObject({
      hashtags: ["fitness", "yoga"],
      stages: ["crawl", "enrich", "contacts", "dedupe", "drafts"],
      filters: { skip_private: true },
      pacing: { batch_size: 25, pause_min_seconds: 20, pause_max_seconds: 60 },
    });

    // 409: another heavy operation runs; the notice links to it.
    answer = apiError(409, "heavy_operation_running", "busy", { session_id: "s9", name: "Spring crawl" });
    await user.click(screen.getByRole("button", { name: "Start session" }));
    const notice = await screen.findByTestId("session-running-notice");
    expect(notice).toHaveTextContent("“Spring crawl” is still running.");
    expect(within(notice).getByRole("link", { name: "Open it" })).toHaveAttribute("href", "/sessions/s9");

    // 201: on to the new session's page.
    answer = { status: 201, body: session({ status: "queued", stage_progress: [stage("crawl"), stage("enrich")] }) };
    await user.click(screen.getByRole("button", { name: "Start session" }));
    expect(await screen.findByRole("heading", { name: "#fitness, #yoga", level: 1 })).toBeInTheDocument();
  });

  it("checks numbers and the chips' count before sending", async () => {
    mockFetch({ "GET /api/v1/products": { body: products } });
    renderAt("/sessions/new");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Start session" }));
    expect(await screen.findByText("Add at least one hashtag.")).toBeInTheDocument();
    const posts = screen.getByLabelText("Posts per hashtag");
    await user.clear(posts);
    await user.type(posts, "-3");
    expect(screen.getByText("At least 1.")).toBeInTheDocument();
    expect(posts).toHaveAttribute("aria-invalid", "true");
    // Backspace in the empty box takes the last chip back for editing.
    const box = screen.getByLabelText(/Seed hashtags/);
    await user.type(box, "yoga{Enter}{Backspace}");
    expect(screen.queryAllByTestId("hashtag-chip")).toHaveLength(0);
    expect(box).toHaveValue("yoga");
  });
});

describe("SessionDetailPage", () => {
  it("polls every 2 s without EventSource and shows stages, counts, summary, failed items and retries them", async () => {
    const done = session({
      status: "done",
      current_stage: null,
      finished_at: "2026-12-06T08:30:00Z",
      stage_progress: [stage("crawl", { status: "done", done: 2, total: 2 }), stage("enrich", { status: "done", done: 198, total: 200, failed: 2 }), stage("drafts", { status: "done", done: 40, total: 40 })],
      stages: ["crawl", "enrich", "drafts"],
      counts: { ...session().counts, drafts: 40, failed: 2 },
      eta_seconds: null,
      summary: "40 leads added, 8 updated; 2 profiles failed after 5 attempts.",
    });
    const calls = mockFetch({
      "GET /api/v1/sessions/s1": { body: done },
      "GET /api/v1/sessions/s1/log": { body: { items: [{ at: "2026-12-06T08:29:00Z", level: "warn", stage: "enrich", message: "Apify answered 429; waiting 20 s" }] } },
      "GET /api/v1/sessions/s1/items": { body: { items: [{ id: "i1", stage: "enrich", key: "studio.yoga", status: "failed", error: "timeout after 5 attempts", attempts: 5, updated_at: "2026-12-06T08:20:00Z" }], total: 2 } },
      "POST /api/v1/sessions/s1/retry-failed": { body: { ...done, status: "running" } },
    });
    renderAt("/sessions/s1");
    expect(await screen.findByTestId("session-summary")).toHaveTextContent("2 profiles failed after 5 attempts");
    const steps = screen.getAllByTestId("stage-step");
    expect(steps.map((s) => s.dataset.status)).toEqual(["done", "done", "done"]);
    expect(within(steps[1]).getByText(/198 of 200/)).toBeInTheDocument();
    expect(within(steps[1]).getByText(/2 failed/)).toBeInTheDocument();
    expect(within(screen.getByTestId("session-counts")).getByText("Leads added").nextElementSibling).toHaveTextContent("40");
    expect(screen.getByRole("link", { name: /Review drafts \(40\)/ })).toHaveAttribute("href", "/review?session=s1");
    expect(await screen.findByText("Apify answered 429; waiting 20 s")).toBeInTheDocument();
    const failed = await screen.findByTestId("failed-items");
    expect(within(failed).getByText("studio.yoga")).toBeInTheDocument();
    expect(within(failed).getByText("timeout after 5 attempts")).toBeInTheDocument();
    expect(calls.find((c) => c.url.includes("/items"))!.url).toContain("status=failed");
    const user = userEvent.setup();
    await user.click(screen.getAllByRole("button", { name: "Retry failed" })[0]);
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/retry-failed"))).toBe(true));
    expect(await screen.findByTestId("session-detail")).toHaveAttribute("data-status", "running");
  });

  it("follows the event stream, refreshes the leads when they change and falls back to polling when it breaks", async () => {
    FakeEventSource.all = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    const first = session({ discover_related: true } as Partial<Session>);
    const calls = mockFetch({
      "GET /api/v1/sessions/s1": { body: first },
      "GET /api/v1/sessions/s1/log": { body: { items: [] } },
      "GET /api/v1/sessions/s1/items": { body: { items: [], total: 0 } },
      "POST /api/v1/sessions/s1/related-hashtags": (c) => ({ body: { ...first, hashtags: [...first.hashtags, ...(c.body as { hashtags: string[] }).hashtags] } }),
    });
    const { qc } = renderAt("/sessions/s1");
    qc.setQueryData(["leads", "one", "l1"], { id: "l1" });
    await screen.findByTestId("session-detail");
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const es = FakeEventSource.all[0];
    expect(es.url).toBe("/api/v1/sessions/s1/events");
    expect(screen.getByText("live")).toBeInTheDocument();

    // A progress message with more leads: the page shows it and the leads queries go stale.
    const more = session({
      counts: { ...first.counts, leads_added: 55 },
      stage_progress: [stage("crawl", { status: "done", done: 2, total: 2 }), stage("enrich", { status: "running", done: 100, total: 200 })],
      pause: { until: new Date(Date.now() + 30_000).toISOString(), seconds: 30, remaining_seconds: 30 },
      related_hashtags: [{ tag: "yogalife", posts: 12 }],
      options: { ...first.options, discover_related: true },
    });
    await es.send("progress", more);
    expect(within(screen.getByTestId("session-counts")).getByText("Leads added").nextElementSibling).toHaveTextContent("55");
    expect(screen.getByText(/100 of 200/)).toBeInTheDocument();
    expect(screen.getByTestId("session-pause")).toHaveTextContent(/waiting (29|30) s before the next batch/);
    expect(qc.getQueryState(["leads", "one", "l1"])?.isInvalidated).toBe(true);

    // Related hashtags: tick one and add it to the crawl.
    const user = userEvent.setup();
    await user.click(screen.getByLabelText(/#yogalife/));
    await user.click(screen.getByRole("button", { name: /Add 1 to the crawl/ }));
    await waitFor(() => expect(calls.find((c) => c.url.endsWith("/related-hashtags"))?.body).toEqual({ hashtags: ["yogalife"] }));

    // The stream breaks: closed for good, and the page polls instead.
    await es.fail();
    expect(es.closed).toBe(true);
    expect(await screen.findByText("updates every 2 s")).toBeInTheDocument();
    const before = calls.filter((c) => c.url.endsWith("/api/v1/sessions/s1")).length;
    await waitFor(() => expect(calls.filter((c) => c.url.endsWith("/api/v1/sessions/s1")).length).toBeGreaterThan(before), { timeout: 3500 });
  });

  it("closes the stream after done and shows the end state", async () => {
    FakeEventSource.all = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    const s = session();
    mockFetch({
      "GET /api/v1/sessions/s1": { body: s },
      "GET /api/v1/sessions/s1/log": { body: { items: [] } },
      "GET /api/v1/sessions/s1/items": { body: { items: [], total: 0 } },
    });
    renderAt("/sessions/s1");
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const es = FakeEventSource.all[0];
    await es.send("done", { ...s, status: "done", counts: { ...s.counts, failed: 0 }, summary: "All done: 40 leads added." });
    expect(es.closed).toBe(true);
    expect(await screen.findByTestId("session-summary")).toHaveTextContent("All done: 40 leads added.");
    expect(screen.getByTestId("session-detail")).toHaveAttribute("data-status", "done");
    expect(screen.queryByRole("button", { name: "Cancel" })).toBeNull();
    expect(FakeEventSource.all).toHaveLength(1);
  });
});

describe("GenerateDraftsDialog", () => {
  function renderDialog(onStarted = vi.fn()) {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
    render(
      <QueryClientProvider client={qc}>
        <MemoryRouter>
          <GenerateDraftsDialog leadIds={["l1", "l2"]} onClose={() => {}} onStarted={onStarted} />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    return onStarted;
  }

  it("starts a drafts-only session for the selection about the chosen product", async () => {
    const calls = mockFetch({
      "GET /api/v1/products": { body: products },
      "POST /api/v1/sessions": { status: 201, body: session({ id: "s5", hashtags: [], stages: ["drafts"] }) },
    });
    const onStarted = renderDialog();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Generate 2 drafts" }));
    expect(await screen.findByText("Pick the product the e-mails are about.")).toBeInTheDocument();
    await screen.findByRole("option", { name: "Coaching" });
    await user.selectOptions(screen.getByLabelText("Product"), "p1");
    await user.click(screen.getByRole("button", { name: "Generate 2 drafts" }));
    await waitFor(() => expect(onStarted).toHaveBeenCalled());
    expect(calls.find((c) => c.method === "POST")!.body).toMatchObject({ hashtags: [], stages: ["drafts"], lead_ids: ["l1", "l2"], product_id: "p1" });
    expect(onStarted.mock.calls[0][0].id).toBe("s5");
  });

  it("says which session runs on 409, with a link to it", async () => {
    mockFetch({
      "GET /api/v1/products": { body: products },
      "POST /api/v1/sessions": apiError(409, "heavy_operation_running", "busy", { session_id: "s9", name: "Spring crawl" }),
    });
    const onStarted = renderDialog();
    const user = userEvent.setup();
    await screen.findByRole("option", { name: "Coaching" });
    await user.selectOptions(screen.getByLabelText("Product"), "p1");
    await user.click(screen.getByRole("button", { name: "Generate 2 drafts" }));
    const notice = await screen.findByTestId("session-running-notice");
    expect(notice).toHaveTextContent("Spring crawl");
    expect(within(notice).getByRole("link", { name: "Open it" })).toHaveAttribute("href", "/sessions/s9");
    expect(onStarted).not.toHaveBeenCalled();
  });
});

describe("SessionTile", () => {
  it("offers to start a session when there is none", async () => {
    mockFetch({ "GET /api/v1/sessions": { body: { items: [], total: 0 } } });
    renderAt("/");
    expect(await screen.findByTestId("session-tile-empty")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Start a session/ })).toHaveAttribute("href", "/sessions/new");
  });

  it("shows the running session's progress", async () => {
    const s = session();
    mockFetch({ "GET /api/v1/sessions": { body: { items: [s], total: 1 } }, "GET /api/v1/sessions/s1": { body: s } });
    renderAt("/");
    const tile = await screen.findByTestId("session-tile");
    expect(within(tile).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "26");
    expect(tile).toHaveTextContent("25 % of all stages · 40 leads added · $0.42");
  });
});
