import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import UsersPage from "./UsersPage";
import { ME, mockFetch, renderApp } from "../../test/utils";

const other = { ...ME, id: "00000000-0000-0000-0000-000000000002", username: "bob", role: "user" as const, two_factor_enabled: false };
const row = (u: typeof ME | typeof other) => ({ ...u, locked_until: null, session_count: 1 });

describe("UsersPage", () => {
  it("protects the admin's own row and confirms a delete", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    const calls = mockFetch({
      "GET /api/v1/me": { body: ME },
      "GET /api/v1/admin/users": { body: { items: [row(ME), row(other)], total: 2, page: 1, per_page: 50 } },
      "DELETE /api/v1/admin/users/00000000-0000-0000-0000-000000000002": { status: 204 },
    });
    renderApp(<UsersPage />, { route: "/admin/users", path: "/admin/users", me: ME });
    const user = userEvent.setup();
    const rows = await screen.findAllByTestId("user-row");
    const mine = within(rows[0]);
    expect(mine.getByLabelText("Role of admin")).toBeDisabled();
    expect(mine.getByLabelText("Role of admin")).toHaveAttribute("title", "You can't demote yourself");
    expect(mine.getByRole("button", { name: "Delete admin" })).toBeDisabled();
    expect(mine.getByRole("button", { name: "Delete admin" })).toHaveAttribute("title", "You can't delete yourself");
    expect(mine.getByRole("button", { name: "Deactivate admin" })).toBeDisabled();
    expect(mine.getByRole("button", { name: "View leads of admin" })).toBeDisabled();

    const theirs = within(rows[1]);
    expect(theirs.getByLabelText("Role of bob")).toBeEnabled();
    expect(theirs.getByRole("link", { name: "View leads of bob" })).toHaveAttribute("href", `/leads?owner=${other.id}`);
    await user.click(theirs.getByRole("button", { name: "Delete bob" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Delete bob?");
    await user.click(within(dialog).getByRole("button", { name: "Delete user" }));
    expect(await screen.findByText("bob deleted.")).toBeInTheDocument();
    const del = calls.find((c) => c.method === "DELETE");
    expect(del?.headers["X-CSRF-Token"]).toBe("csrf1");
  });
});
