import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import ReviewPage from "./ReviewPage";
import type { Draft } from "./api";
import { checkEdit, editPatch, outcomeText, queryFromParams, selectionState, toggleAll, toggleOne } from "./review";
import { ME, apiError, mockFetch, renderApp } from "../../test/utils";
import { session } from "../sessions/testData";

const draft = (over: Partial<Draft>): Draft => ({
  id: "d1",
  lead_id: "l1",
  username: "anna.fitness",
  full_name: "Anna Müller",
  email: "anna@example.com",
  session_id: "s1",
  product_id: "p1",
  product_name: "Yoga mats",
  prompt_id: "pr1",
  prompt_version: 2,
  model: "gpt-4o-mini",
  language: "German",
  subject: "Kooperationsanfrage für Anna Müller",
  body: "Hallo Anna,\n\nschön!",
  status: "pending",
  instruction: null,
  prompt_tokens: 300,
  completion_tokens: 80,
  cost_usd: 0.0001,
  created_at: "2026-12-06T08:00:00Z",
  updated_at: "2026-12-06T08:00:00Z",
  ...over,
});

const facets = {
  sessions: [{ session_id: "s1", drafts: 2, latest_at: "2026-12-06T08:00:00Z" }],
  products: [{ product_id: "p1", product_name: "Yoga mats", drafts: 2 }],
  prompt_versions: [{ prompt_version: 2, drafts: 2 }],
  statuses: [{ status: "pending", drafts: 2 }],
};

describe("review helpers", () => {
  it("read the filters from the URL, pending by default", () => {
    expect(queryFromParams(new URLSearchParams(""))).toEqual({
      session_id: undefined,
      product_id: undefined,
      prompt_version: undefined,
      status: "pending",
      limit: 50,
      offset: 0,
    });
    const q = queryFromParams(new URLSearchParams("session=s1&product=p1&prompt_version=3&status=all&page=3"));
    expect(q).toMatchObject({ session_id: "s1", product_id: "p1", prompt_version: 3, status: undefined, offset: 100 });
    expect(queryFromParams(new URLSearchParams("prompt_version=x&status=approved"))).toMatchObject({ prompt_version: undefined, status: "approved" });
  });

  it("select drafts one by one or the whole page", () => {
    const page = ["a", "b", "c"];
    let sel = toggleOne("b", new Set(["z"]));
    expect(selectionState(page, sel)).toBe("some");
    sel = toggleAll(page, sel);
    expect([...sel].sort()).toEqual(["a", "b", "c", "z"]);
    expect(selectionState(page, sel)).toBe("all");
    sel = toggleAll(page, sel);
    expect([...sel]).toEqual(["z"]);
    expect(selectionState(page, toggleOne("z", sel))).toBe("none");
  });

  it("check an edit as the API does and send only what changed", () => {
    expect(checkEdit("  ", "x")).toEqual({ subject: ["Enter a subject."] });
    expect(checkEdit("Hi", "")).toEqual({ body: ["Enter the e-mail's text."] });
    expect(checkEdit("x".repeat(501), "y").subject).toEqual(["At most 500 characters."]);
    const d = { subject: "Hi", body: "Text" };
    expect(editPatch(d, "Hi ", "Text\n")).toBeNull();
    expect(editPatch(d, "Hello", "Text")).toEqual({ subject: "Hello" });
    expect(outcomeText(2, 3, "approved")).toBe("2 drafts approved (1 already approved or not changeable)");
    expect(outcomeText(1, 1, "rejected")).toBe("1 draft rejected");
  });
});

describe("ReviewPage", () => {
  it("lists drafts, edits one in the side panel, and approves the selected ones", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    const second = draft({ id: "d2", username: "ben", full_name: null, email: "ben@example.com", subject: "Hallo Ben" });
    const calls = mockFetch({
      "GET /api/v1/drafts": { body: { items: [draft({}), second], total: 2 } },
      "GET /api/v1/drafts/facets": { body: facets },
      "PATCH /api/v1/drafts/d1": (c) => ({ body: draft({ ...(c.body as object), updated_at: "2026-12-06T09:00:00Z" }) }),
      "POST /api/v1/drafts/approve": { body: { updated: 2 } },
    });
    renderApp(<ReviewPage />, { route: "/review", path: "/review", me: ME });
    const user = userEvent.setup();
    const rows = await screen.findAllByTestId("draft-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText("@anna.fitness")).toBeInTheDocument();
    expect(within(rows[0]).getByText("anna@example.com")).toBeInTheDocument();
    expect(within(rows[0]).getByText("Kooperationsanfrage für Anna Müller")).toBeInTheDocument();
    expect(calls[0].url).toBe("/api/v1/drafts?status=pending&limit=50&offset=0");

    await user.click(within(rows[0]).getByRole("button", { name: "@anna.fitness" }));
    const panel = await screen.findByTestId("draft-panel");
    const subject = within(panel).getByLabelText("Subject");
    await user.clear(subject);
    await user.click(within(panel).getByRole("button", { name: "Save" }));
    expect(within(panel).getByText("Enter a subject.")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PATCH")).toBe(false);
    await user.type(subject, "Hallo Anna");
    await user.click(within(panel).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved the draft for @anna.fitness")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ subject: "Hallo Anna" });

    await user.click(screen.getByRole("checkbox", { name: "Select all drafts on this page" }));
    const bulk = screen.getByRole("region", { name: "Selected drafts" });
    expect(bulk).toHaveTextContent("2 selected");
    await user.click(within(bulk).getByRole("button", { name: "Approve" }));
    expect(await screen.findByText("2 drafts approved")).toBeInTheDocument();
    expect(calls.find((c) => c.url === "/api/v1/drafts/approve")?.body).toEqual({ ids: ["d1", "d2"] });
  });

  it("writes a draft again with an instruction and shows the wait", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const calls = mockFetch({
      "GET /api/v1/drafts": { body: { items: [draft({})], total: 1 } },
      "GET /api/v1/drafts/facets": { body: facets },
    });
    const fetchMock = globalThis.fetch as unknown as (i: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input).endsWith("/regenerate")) {
        calls.push({ method: "POST", url: String(input), headers: {}, body: JSON.parse(String(init?.body)) });
        await gate;
        return new Response(JSON.stringify(draft({ body: "Neu\n\nP.S. kürzer", instruction: "kürzer", updated_at: "2026-12-06T09:00:00Z" })), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        });
      }
      return fetchMock(input, init);
    }) as typeof fetch;
    renderApp(<ReviewPage />, { route: "/review?draft=d1", path: "/review", me: ME });
    const user = userEvent.setup();
    const panel = await screen.findByTestId("draft-panel");
    await user.type(within(panel).getByLabelText("Instruction (optional)"), "kürzer");
    await user.click(within(panel).getByRole("button", { name: "Regenerate" }));
    expect(await screen.findByTestId("regenerating")).toHaveTextContent("Writing a new draft");
    release();
    expect(await screen.findByText("Wrote the draft for @anna.fitness again")).toBeInTheDocument();
    expect(calls.find((c) => c.url.endsWith("/regenerate"))?.body).toEqual({ instruction: "kürzer" });
  });

  it("opens filtered by the session a session's page links to, naming it as the Sessions page does", async () => {
    const calls = mockFetch({
      "GET /api/v1/drafts": { body: { items: [draft({})], total: 1 } },
      "GET /api/v1/drafts/facets": { body: facets },
      "GET /api/v1/sessions": { body: { items: [session({ id: "s1", name: "#yoga, #pilates" })], total: 1 } },
    });
    renderApp(<ReviewPage />, { route: "/review?session=s1", path: "/review", me: ME });
    const select = await screen.findByRole("combobox", { name: "Session" });
    expect(await within(select).findByRole("option", { name: "#yoga, #pilates · 2 drafts" })).toBeInTheDocument();
    expect(select).toHaveValue("s1");
    expect(calls[0].url).toBe("/api/v1/drafts?session_id=s1&status=pending&limit=50&offset=0");
  });

  it("says what to do when no draft waits, and viewers get no write buttons", async () => {
    mockFetch({
      "GET /api/v1/drafts": { body: { items: [], total: 0 } },
      "GET /api/v1/drafts/facets": { body: { sessions: [], products: [], prompt_versions: [], statuses: [] } },
    });
    renderApp(<ReviewPage />, { route: "/review", path: "/review", me: ME });
    expect(await screen.findByTestId("review-empty")).toHaveTextContent("Start a session or generate drafts from the grid");
    expect(screen.getByRole("link", { name: "grid" })).toHaveAttribute("href", "/leads");
  });

  it("shows a viewer the drafts without checkboxes or edit buttons", async () => {
    mockFetch({
      "GET /api/v1/drafts": { body: { items: [draft({})], total: 1 } },
      "GET /api/v1/drafts/facets": { body: facets },
      "PATCH /api/v1/drafts/d1": apiError(403, "forbidden"),
    });
    renderApp(<ReviewPage />, { route: "/review?draft=d1", path: "/review", me: { ...ME, role: "viewer" } });
    const panel = await screen.findByTestId("draft-panel");
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(within(panel).queryByRole("button", { name: "Approve" })).toBeNull();
    expect(within(panel).getByLabelText("Subject")).toBeDisabled();
  });
});
