import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LeadsPage from "../leads/LeadsPage";
import { ME, mockFetch, renderApp } from "../../test/utils";
import { fakeMatchMedia } from "../../test/matchMedia";
import { FakeEventSource, session } from "./testData";

const USER = { ...ME, role: "user" as const };
const lead = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  username: `lead_${id}`,
  full_name: null,
  is_business: false,
  status: "enriched",
  tags: [],
  source_hashtag: "yoga",
  created_at: "2026-12-06T08:00:00Z",
  updated_at: "2026-12-06T08:00:00Z",
  version: 1,
  ...over,
});

// The phone layout (cards instead of the canvas grid, which jsdom cannot draw); the count is the same.
const realMatchMedia = window.matchMedia;
beforeEach(() => {
  localStorage.clear();
  window.matchMedia = fakeMatchMedia((query) => query.includes("max-width"));
  FakeEventSource.all = [];
});
afterEach(() => {
  window.matchMedia = realMatchMedia;
});

describe("the leads grid while a session runs", () => {
  it("reloads its rows and count when the session adds leads", async () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    let rows = [lead("l1")];
    const running = session();
    const calls = mockFetch({
      "GET /api/v1/leads": () => ({ body: { items: rows, total: rows.length, total_is_estimate: false, next_cursor: null } }),
      "GET /api/v1/views": { body: [] },
      "GET /api/v1/sessions": { body: { items: [running], total: 1 } },
      "GET /api/v1/sessions/s1": { body: running },
    });
    renderApp(<LeadsPage />, { route: "/leads", path: "/leads", me: USER });
    await waitFor(() => expect(screen.getByTestId("lead-count")).toHaveTextContent("1 lead"));
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const es = FakeEventSource.all[0];
    const lists = () => calls.filter((c) => c.url.startsWith("/api/v1/leads?")).length;
    const before = lists();

    // Progress without new leads (only the cost moved): nothing reloads.
    await es.send("progress", { ...running, cost_usd: 0.5 });
    expect(lists()).toBe(before);

    // Two leads more: the rows and the count follow.
    rows = [lead("l3"), lead("l2"), lead("l1")];
    await es.send("progress", { ...running, counts: { ...running.counts, leads_added: 42 } });
    await waitFor(() => expect(screen.getByTestId("lead-count")).toHaveTextContent("3 leads"), { timeout: 4000 });
    expect(screen.getAllByTestId("lead-card")).toHaveLength(3);
  });

  it("shows a lead's contact sources in its drawer, as safe links", async () => {
    mockFetch({
      "GET /api/v1/leads": {
        body: {
          items: [
            lead("l1", {
              contact_sources: [
                { url: "https://www.studio-yoga.de/impressum", title: "Impressum – Studio Yoga" },
                { url: "javascript:alert(1)", title: "evil" },
              ],
            }),
          ],
          total: 1,
          total_is_estimate: false,
          next_cursor: null,
        },
      },
      "GET /api/v1/views": { body: [] },
      "GET /api/v1/sessions": { body: { items: [], total: 0 } },
      "GET /api/v1/leads/l1/history": { body: [] },
      "GET /api/v1/leads/l1/hashtags": { body: [] },
    });
    renderApp(<LeadsPage />, { route: "/leads", path: "/leads", me: USER });
    const user = userEvent.setup();
    await user.click(await screen.findByTestId("lead-card"));
    const drawer = await screen.findByRole("dialog", { name: "@lead_l1" });
    const sources = within(drawer).getByTestId("lead-sources");
    const links = within(sources).getAllByRole("link");
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute("href", "https://www.studio-yoga.de/impressum");
    expect(links[0]).toHaveAttribute("rel", "noopener noreferrer");
    expect(links[0]).toHaveTextContent("Impressum – Studio Yoga");
    expect(sources).toHaveTextContent("studio-yoga.de");
  });
});
