import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import JobsPage from "./JobsPage";
import { BackgroundWork } from "./BackgroundWork";
import { canCancel, canRetry, percent, pollInterval, stateText, type JobItem } from "./api";
import { ME, mockFetch, renderApp } from "../../test/utils";

const job = (over: Partial<JobItem>): JobItem => ({
  id: "j1",
  kind: "leads.import",
  label: "Import of leads.csv",
  queue: "imports",
  owner_id: "u2",
  owner_username: "olga",
  state: "running",
  attempt: 1,
  max_attempts: 5,
  progress: { done: 25_000, total: 100_000 },
  last_error: null,
  cancel_requested: false,
  subject: { type: "import", id: "i1" },
  run_at: "2026-12-06T05:00:00Z",
  created_at: "2026-12-06T05:00:00Z",
  attempted_at: "2026-12-06T05:00:01Z",
  finished_at: null,
  ...over,
});

const queues = [
  { queue: "default", available: 0, scheduled: 0, running: 0, retryable: 0, completed: 12, discarded: 1, cancelled: 0 },
  { queue: "imports", available: 0, scheduled: 0, running: 1, retryable: 0, completed: 3, discarded: 0, cancelled: 0 },
];

describe("job helpers", () => {
  it("say what a job allows and how far it is", () => {
    expect(percent(job({}))).toBe(25);
    expect(percent(job({ progress: { done: 3, total: null } }))).toBeNull();
    expect(percent(job({ state: "completed", progress: null }))).toBe(100);
    expect(canCancel(job({}))).toBe(true);
    expect(canCancel(job({ cancel_requested: true }))).toBe(false);
    expect(canCancel(job({ state: "completed" }))).toBe(false);
    expect(canRetry(job({ state: "discarded" }))).toBe(true);
    expect(canRetry(job({ state: "running" }))).toBe(false);
    expect(stateText(job({ cancel_requested: true }))).toBe("stopping…");
    expect(stateText(job({ state: "discarded" }))).toBe("failed");
    expect(pollInterval([job({ state: "completed" }), job({ state: "available" })])).toBe(2000);
    expect(pollInterval([job({ state: "completed" })])).toBe(false);
  });
});

describe("JobsPage", () => {
  it("shows the queues and a running import with its progress, and cancels it after a confirmation", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    const failed = job({ id: "j2", kind: "test.flaky", label: "Test job (test.flaky)", queue: "default", state: "discarded", owner_username: null, progress: null, last_error: "internal: boom", attempt: 20, max_attempts: 20 });
    const calls = mockFetch({
      "GET /api/v1/admin/jobs": { body: { queues, items: [job({}), failed], total: 2, page: 1, per_page: 50 } },
      "POST /api/v1/admin/jobs/j1/cancel": { body: job({ cancel_requested: true }) },
      "POST /api/v1/admin/jobs/j2/retry": { body: { ...failed, state: "available" } },
    });
    renderApp(<JobsPage />, { route: "/admin/jobs", path: "/admin/jobs", me: ME });
    const user = userEvent.setup();
    const cards = await screen.findAllByTestId("queue-card");
    expect(cards).toHaveLength(2);
    expect(within(cards[1]).getByText("Running").nextElementSibling).toHaveTextContent("1");
    const rows = screen.getAllByTestId("job-row");
    const running = within(rows[0]);
    expect(running.getByText("Import of leads.csv")).toBeInTheDocument();
    expect(running.getByText("olga")).toBeInTheDocument();
    expect(running.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25");
    expect(running.getByText(/25,000 of 100,000/)).toBeInTheDocument();
    expect(running.queryByRole("button", { name: /Retry/ })).toBeNull();
    const broken = within(rows[1]);
    expect(broken.getByText("internal: boom")).toBeInTheDocument();
    expect(broken.getByText("system")).toBeInTheDocument();

    await user.click(running.getByRole("button", { name: /Cancel/ }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Cancel this import?");
    expect(dialog).toHaveTextContent("Leads imported so far stay");
    await user.click(within(dialog).getByRole("button", { name: "Cancel import" }));
    expect(await screen.findByText("Stopping: Import of leads.csv")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/v1/admin/jobs/j1/cancel");

    await user.click(broken.getByRole("button", { name: /Retry/ }));
    expect(await screen.findByText("Queued again: Test job (test.flaky)")).toBeInTheDocument();
  });

  it("says what to do when there are no jobs", async () => {
    mockFetch({ "GET /api/v1/admin/jobs": { body: { queues, items: [], total: 0, page: 1, per_page: 50 } } });
    renderApp(<JobsPage />, { route: "/admin/jobs", path: "/admin/jobs", me: ME });
    expect(await screen.findByText("No background jobs yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Import CSV/ })).toHaveAttribute("href", "/leads?import=1");
  });
});

describe("BackgroundWork", () => {
  it("lists your own jobs with a Cancel for the running one", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    const calls = mockFetch({
      "GET /api/v1/me/jobs": { body: { items: [job({}), job({ id: "j3", state: "completed", label: "Import of old.csv", progress: { done: 10, total: 10 }, finished_at: "2026-12-06T04:00:00Z" })], total: 2, page: 1, per_page: 5 } },
      "POST /api/v1/me/jobs/j1/cancel": { body: job({ state: "cancelled", finished_at: "2026-12-06T05:01:00Z" }) },
    });
    renderApp(<BackgroundWork canWrite />, { route: "/work", path: "/work", me: ME });
    const user = userEvent.setup();
    const items = await screen.findAllByTestId("my-job");
    expect(within(items[1]).queryByRole("button", { name: /Cancel/ })).toBeNull();
    await user.click(within(items[0]).getByRole("button", { name: /Cancel/ }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel import" }));
    expect(await screen.findByText("Cancelled: Import of leads.csv")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.url === "/api/v1/me/jobs/j1/cancel")).toBe(true);
  });

  it("says what to do when nothing runs", async () => {
    mockFetch({ "GET /api/v1/me/jobs": { body: { items: [], total: 0, page: 1, per_page: 5 } } });
    renderApp(<BackgroundWork canWrite />, { route: "/work", path: "/work", me: ME });
    expect(await screen.findByTestId("background-work-empty")).toHaveTextContent("Nothing is running");
    expect(screen.getByRole("link", { name: "Import a CSV" })).toBeInTheDocument();
  });
});
