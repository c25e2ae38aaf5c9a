import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import DoNotContactPage from "./DoNotContactPage";
import { ME, apiError, mockFetch, renderApp } from "../../test/utils";

const ENTRY = {
  id: "e1",
  kind: "username",
  value: "jane",
  reason: "asked us to stop",
  created_at: "2026-03-01T10:00:00Z",
};
const EMAIL_ENTRY = { id: "e2", kind: "email", value: "bob@example.com", reason: null, created_at: "2026-03-02T10:00:00Z" };

describe("DoNotContactPage", () => {
  it("adds an entry, shows the count of marked leads, and shows a 409 next to the value", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    let posts = 0;
    const calls = mockFetch({
      "GET /api/v1/do-not-contact": { body: { items: [ENTRY], total: 1 } },
      "POST /api/v1/do-not-contact": () => {
        posts++;
        return posts === 1
          ? { status: 201, body: { entry: { ...ENTRY, id: "e3", value: "mark" }, leads_marked: 2 } }
          : apiError(409, "conflict", "This is already on your do-not-contact list.", { field: "value" });
      },
    });
    renderApp(<DoNotContactPage />, { route: "/do-not-contact", path: "/do-not-contact", me: ME });
    const user = userEvent.setup();
    const row = await screen.findByTestId("dnc-row");
    expect(row).toHaveTextContent("@jane");
    expect(row).toHaveTextContent("asked us to stop");

    const form = screen.getByRole("form", { name: "Add to the do-not-contact list" });
    // Checked before sending, like the API does.
    await user.type(within(form).getByLabelText("Instagram username"), "not valid!");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    expect(await within(form).findByText(/letters, digits/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);

    await user.clear(within(form).getByLabelText("Instagram username"));
    await user.type(within(form).getByLabelText("Instagram username"), "@Mark");
    await user.type(within(form).getByLabelText("Reason (optional)"), "unsubscribed");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    expect(await screen.findByText("Added; 2 leads marked do not contact")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toEqual({ kind: "username", value: "@Mark", reason: "unsubscribed" });
    expect(post?.headers["X-CSRF-Token"]).toBe("csrf1");
    await waitFor(() => expect(within(form).getByLabelText("Instagram username")).toHaveValue(""));

    await user.type(within(form).getByLabelText("Instagram username"), "jane");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    const err = await within(form).findByText("This is already on your do-not-contact list.");
    expect(within(form).getByLabelText("Instagram username")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByLabelText("Instagram username").getAttribute("aria-describedby")).toContain(err.closest(".field-error")!.id);
    // Typing again clears the message.
    await user.type(within(form).getByLabelText("Instagram username"), "2");
    expect(within(form).queryByText("This is already on your do-not-contact list.")).not.toBeInTheDocument();
  });

  it("removes an entry after confirming", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    let removed = false;
    const calls = mockFetch({
      "GET /api/v1/do-not-contact": () => ({ body: removed ? { items: [ENTRY], total: 1 } : { items: [ENTRY, EMAIL_ENTRY], total: 2 } }),
      "DELETE /api/v1/do-not-contact/e2": () => {
        removed = true;
        return { status: 204 };
      },
    });
    renderApp(<DoNotContactPage />, { route: "/do-not-contact", path: "/do-not-contact", me: ME });
    const user = userEvent.setup();
    expect(await screen.findAllByTestId("dnc-row")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Remove bob@example.com" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Remove bob@example.com from the list?");
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));
    expect(await screen.findByText("Removed bob@example.com from the list.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("dnc-row")).toHaveLength(1));
    expect(calls.some((c) => c.method === "DELETE" && c.url.endsWith("/do-not-contact/e2"))).toBe(true);
  });

  it("searches (debounced, without a leading @) and shows what to do when nothing matches", async () => {
    const calls = mockFetch({
      "GET /api/v1/do-not-contact": (c) => ({ body: c.url.includes("q=") ? { items: [], total: 0 } : { items: [ENTRY], total: 1 } }),
    });
    renderApp(<DoNotContactPage />, { route: "/do-not-contact", path: "/do-not-contact", me: ME });
    const user = userEvent.setup();
    await screen.findByTestId("dnc-row");
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "@zed");
    expect(await screen.findByText("Nothing on the list matches")).toBeInTheDocument();
    const searches = calls.filter((c) => c.url.includes("q="));
    expect(searches.map((c) => new URL(c.url, "http://x").searchParams.get("q"))).toEqual(["zed"]);
  });

  it("shows viewers the list without add or remove controls", async () => {
    mockFetch({ "GET /api/v1/do-not-contact": { body: { items: [ENTRY], total: 1 } } });
    renderApp(<DoNotContactPage />, { route: "/do-not-contact", path: "/do-not-contact", me: { ...ME, role: "viewer" } });
    expect(await screen.findByTestId("dnc-row")).toHaveTextContent("@jane");
    expect(screen.queryByRole("form", { name: "Add to the do-not-contact list" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
  });
});
