import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LeadsPage, { leadCountText, ownerParam } from "./LeadsPage";
import { ME, mockFetch, renderApp } from "../../test/utils";
import { fakeMatchMedia } from "../../test/matchMedia";

const BOB = "00000000-0000-0000-0000-000000000002";
const LEAD = {
  id: "l1",
  username: "bobs_lead",
  full_name: "Bob's Lead",
  is_business: false,
  status: "new",
  tags: [],
  source_hashtag: "travel",
  created_at: "2026-03-01T10:00:00Z",
  updated_at: "2026-03-01T10:00:00Z",
  version: 1,
};
const page = { items: [LEAD], total: 1, total_is_estimate: false, next_cursor: null };

// The phone layout (cards instead of the canvas grid, which jsdom cannot draw).
const realMatchMedia = window.matchMedia;
beforeEach(() => {
  localStorage.clear();
  window.matchMedia = fakeMatchMedia((query) => query.includes("max-width"));
});
afterEach(() => {
  window.matchMedia = realMatchMedia;
});

describe("ownerParam", () => {
  it("reads ?owner= and ignores your own id", () => {
    expect(ownerParam(new URLSearchParams("owner=abc"), "me")).toBe("abc");
    expect(ownerParam(new URLSearchParams("owner=me"), "me")).toBeNull();
    expect(ownerParam(new URLSearchParams(""), "me")).toBeNull();
  });
});

describe("LeadsPage", () => {
  it("reads another user's leads read-only when an admin opens ?owner=", async () => {
    const calls = mockFetch({
      "GET /api/v1/leads": { body: page },
      "GET /api/v1/views": { body: [] },
      [`GET /api/v1/admin/users/${BOB}`]: { body: { ...ME, id: BOB, username: "bob", role: "user", locked_until: null, session_count: 0 } },
      "GET /api/v1/leads/l1/history": { body: [] },
      "GET /api/v1/leads/l1/hashtags": { body: [{ hashtag: "food", found_at: "2026-02-03T10:00:00Z" }] },
    });
    renderApp(<LeadsPage />, { route: `/leads?owner=${BOB}`, path: "/leads", me: ME });
    const banner = await screen.findByTestId("owner-banner");
    await waitFor(() => expect(banner).toHaveTextContent("Viewing bob's leads — read-only"));
    expect(within(banner).getByRole("link", { name: "Back to my leads" })).toHaveAttribute("href", "/leads");

    await screen.findByTestId("lead-card");
    const list = calls.find((c) => c.url.startsWith("/api/v1/leads?"));
    expect(new URL(list!.url, "http://x").searchParams.get("owner")).toBe(BOB);
    for (const name of ["New lead", "Import CSV", "Undo", "Redo"]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }

    const user = userEvent.setup();
    await user.click(screen.getByTestId("lead-card"));
    const drawer = await screen.findByRole("dialog", { name: "@bobs_lead" });
    expect(within(drawer).queryByRole("button", { name: "Save changes" })).not.toBeInTheDocument();
    expect(within(drawer).queryByRole("button", { name: "Delete lead" })).not.toBeInTheDocument();
    expect(within(drawer).getByLabelText("Full name")).toHaveAttribute("readonly");
    // The hashtags that found someone else's lead come from the server too, asked for with the owner.
    const tags = await within(drawer).findByTestId("lead-hashtags");
    await waitFor(() => expect(within(tags).getAllByRole("listitem")).toHaveLength(2));
    expect(tags).toHaveTextContent("#travel");
    expect(tags).toHaveTextContent("#food");
    const hashtags = calls.find((c) => c.url.startsWith("/api/v1/leads/l1/hashtags"));
    expect(new URL(hashtags!.url, "http://x").searchParams.get("owner")).toBe(BOB);
    await waitFor(() => expect(calls.some((c) => c.url.startsWith("/api/v1/leads/l1/history"))).toBe(true));
    const history = calls.find((c) => c.url.startsWith("/api/v1/leads/l1/history"));
    expect(new URL(history!.url, "http://x").searchParams.get("owner")).toBe(BOB);
    expect(calls.some((c) => c.method !== "GET")).toBe(false);
  });

  it("keeps the normal workspace without ?owner=: editing controls, own leads, source hashtags with dates", async () => {
    const user1 = { ...ME, role: "user" as const };
    const calls = mockFetch({
      "GET /api/v1/leads": { body: page },
      "GET /api/v1/views": { body: [] },
      "GET /api/v1/leads/l1/history": { body: [] },
      "GET /api/v1/leads/l1/hashtags": {
        body: [
          { hashtag: "travel", found_at: "2026-02-01T10:00:00Z" },
          { hashtag: "food", found_at: "2026-02-03T10:00:00Z" },
        ],
      },
    });
    renderApp(<LeadsPage />, { route: "/leads", path: "/leads", me: user1 });
    await screen.findByTestId("lead-card");
    expect(screen.queryByTestId("owner-banner")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "New lead" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Import CSV" })).toBeInTheDocument();
    const list = calls.find((c) => c.url.startsWith("/api/v1/leads?"));
    expect(new URL(list!.url, "http://x").searchParams.has("owner")).toBe(false);

    const user = userEvent.setup();
    await user.click(screen.getByTestId("lead-card"));
    const drawer = await screen.findByRole("dialog", { name: "@bobs_lead" });
    expect(within(drawer).getByRole("button", { name: "Save changes" })).toBeInTheDocument();
    const tags = await within(drawer).findByTestId("lead-hashtags");
    const items = within(tags).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("#travel");
    expect(items[0]).toHaveTextContent("source");
    expect(items[0]).toHaveTextContent("found");
    expect(items[1]).toHaveTextContent("#food");
  });

  it("shows an empty state when no hashtag found the lead", async () => {
    mockFetch({
      "GET /api/v1/leads": { body: { ...page, items: [{ ...LEAD, source_hashtag: null }] } },
      "GET /api/v1/views": { body: [] },
      "GET /api/v1/leads/l1/history": { body: [] },
      "GET /api/v1/leads/l1/hashtags": { body: [] },
    });
    renderApp(<LeadsPage />, { route: "/leads", path: "/leads", me: { ...ME, role: "user" as const } });
    const user = userEvent.setup();
    await user.click(await screen.findByTestId("lead-card"));
    const drawer = await screen.findByRole("dialog", { name: "@bobs_lead" });
    expect(await within(drawer).findByText(/No hashtag found this lead/)).toBeInTheDocument();
  });

  it("exports another user's leads through the server with the owner", async () => {
    const calls = mockFetch({
      "GET /api/v1/leads": { body: page },
      "GET /api/v1/views": { body: [] },
      [`GET /api/v1/admin/users/${BOB}`]: { body: { ...ME, id: BOB, username: "bob", role: "user", locked_until: null, session_count: 0 } },
      "GET /api/v1/leads/export": { body: "username\r\nbobs_lead\r\n" },
    });
    // jsdom has no object URLs; the download itself is an anchor click.
    const saved = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    URL.createObjectURL = vi.fn(() => "blob:x");
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    try {
      renderApp(<LeadsPage />, { route: `/leads?owner=${BOB}`, path: "/leads", me: ME });
      await screen.findByTestId("lead-card");
      const user = userEvent.setup();
      await user.click(screen.getByRole("button", { name: "Export" }));
      await user.click(screen.getByRole("button", { name: "Download" }));
      await waitFor(() => expect(click).toHaveBeenCalled());
      const exp = calls.find((c) => c.url.includes("/leads/export"));
      const q = new URL(exp!.url, "http://x").searchParams;
      expect(q.get("owner")).toBe(BOB);
      expect(q.get("columns")).toContain("username");
      // No list pages fetched to build the file here: the one list request is the grid's.
      expect(calls.filter((c) => c.url.startsWith("/api/v1/leads?")).length).toBe(1);
    } finally {
      URL.createObjectURL = saved.create;
      URL.revokeObjectURL = saved.revoke;
    }
  });

  it("says what the total is while the server counts", () => {
    expect(leadCountText(null, false, false)).toBe("");
    expect(leadCountText(20_001, true, true)).toBe("counting…");
    expect(leadCountText(20_001, true, false)).toBe("more than 20,000 leads");
    expect(leadCountText(1, false, false)).toBe("1 lead");
  });

  it("shows an estimated total as such and replaces it with the exact count", async () => {
    let asked = 0;
    const calls = mockFetch({
      // An estimate until the total is asked for again (a one-row request).
      "GET /api/v1/leads": (call) => {
        const q = new URL(call.url, "http://x").searchParams;
        const [limit, offset] = [Number(q.get("limit")), Number(q.get("offset") ?? 0)];
        if (limit === 1) asked++;
        const items = Array.from({ length: limit }, (_, i) => ({ ...LEAD, id: `l${offset + i}`, username: `lead_${offset + i}` }));
        return { body: { items, next_cursor: null, ...(asked < 1 ? { total: 20_001, total_is_estimate: true } : { total: 1_000_000, total_is_estimate: false }) } };
      },
      "GET /api/v1/views": { body: [] },
    });
    renderApp(<LeadsPage />, { route: "/leads", path: "/leads", me: { ...ME, role: "user" as const } });
    const count = await screen.findByTestId("lead-count");
    // Not a number that is about to change: "counting…" until the exact count is in.
    await waitFor(() => expect(count).toHaveTextContent("counting…"));
    await waitFor(() => expect(count).toHaveTextContent(/^1,000,000 leads$/), { timeout: 3000 });
    // The re-ask: one row of the same query, not its first page.
    const again = calls.filter((c) => c.url.startsWith("/api/v1/leads?")).map((c) => new URL(c.url, "http://x").searchParams);
    expect(again.filter((q) => q.get("limit") === "1").map((q) => q.get("offset"))).toEqual(["1"]);
    // Exact now: no more asking.
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls.length).toBe(n);
  });
});
