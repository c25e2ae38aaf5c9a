import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import ProvidersPage from "./ProvidersPage";
import ConnectionsPage from "./ConnectionsPage";
import { consentOutcome, durationText, unitsText } from "./api";
import { totalDetail, totalsByProvider } from "./UsagePage";
import { ME, mockFetch, renderApp } from "../../test/utils";

const openai = {
  provider: "openai",
  label: "OpenAI",
  testable: true,
  fields: [
    {
      field: "api_key",
      label: "API key",
      secret: true,
      user_override: true,
      set: true,
      value: null,
      hint: "••••1234",
      updated_at: "2026-12-06T08:00:00Z",
      updated_by: "admin",
    },
    { field: "model", label: "Model", secret: false, user_override: false, set: false, value: null, hint: null, updated_at: null, updated_by: null },
  ],
};
const instagram = {
  provider: "instagram",
  label: "Instagram app",
  testable: false,
  fields: [{ field: "app_id", label: "App id", secret: false, user_override: false, set: false, value: null, hint: null, updated_at: null, updated_by: null }],
};

describe("ProvidersPage", () => {
  it("shows secrets only as a hint, saves only what was typed and reports a failed test with its code", async () => {
    document.cookie = "leadgen_csrf=csrf1; path=/";
    const calls = mockFetch({
      "GET /api/v1/instance": { body: { sandbox: true } },
      "GET /api/v1/admin/providers": { body: { sandbox: true, providers: [openai, instagram] } },
      "PUT /api/v1/admin/providers": { body: { sandbox: true, providers: [openai, instagram] } },
      "POST /api/v1/admin/providers/openai/test": {
        body: {
          provider: "openai",
          ok: false,
          code: "provider_auth_failed",
          message: "The provider rejected the credentials. (HTTP 401)",
          duration_ms: 12,
        },
      },
    });
    renderApp(<ProvidersPage />, { route: "/settings/providers", path: "/settings/providers", me: ME });
    const user = userEvent.setup();
    const card = within(await screen.findByTestId("provider-openai"));
    const key = card.getByLabelText("API key");
    expect(key).toHaveValue("");
    expect(key).toHaveAttribute("placeholder", "••••1234");
    expect(card.getByText(/Set by admin on/)).toBeInTheDocument();
    expect(await screen.findByText(/runs against the provider sandbox/)).toBeInTheDocument();
    expect(within(screen.getByTestId("provider-instagram")).queryByRole("button", { name: "Test connection" })).toBeNull();

    await user.type(card.getByLabelText("Model"), "gpt-4o-mini");
    await user.click(card.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("OpenAI: saved.")).toBeInTheDocument();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({ settings: [{ provider: "openai", field: "model", value: "gpt-4o-mini" }] });

    await user.click(card.getByRole("button", { name: "Test connection" }));
    const result = await card.findByTestId("test-result");
    expect(result).toHaveTextContent("The provider rejected the credentials. (HTTP 401)");
    expect(result).toHaveTextContent("provider_auth_failed");
  });
});

describe("ConnectionsPage", () => {
  it("lists mailboxes with their status and says how the consent went", async () => {
    mockFetch({
      "GET /api/v1/me/mailboxes": {
        body: {
          can_connect: true,
          items: [
            {
              id: "m1",
              address: "mia@gmail.com",
              status: "connected",
              connected_at: "2026-12-06T08:00:00Z",
              last_used_at: null,
              scopes: [],
            },
            {
              id: "m2",
              address: "old@gmail.com",
              status: "needs_reconnect",
              connected_at: "2026-12-01T08:00:00Z",
              last_used_at: null,
              scopes: [],
            },
          ],
        },
      },
      "GET /api/v1/me/providers": { body: { sandbox: false, providers: [openai] } },
    });
    renderApp(<ConnectionsPage />, {
      route: "/settings/connections?mailbox_error=state_expired",
      path: "/settings/connections",
      me: ME,
    });
    const rows = await screen.findAllByTestId("mailbox-row");
    expect(rows[0]).toHaveTextContent("mia@gmail.com");
    expect(rows[0]).toHaveTextContent("connected");
    expect(rows[0]).toHaveTextContent("last used never");
    expect(rows[1]).toHaveTextContent("needs reconnect");
    expect(screen.getByText(/took longer than 10 minutes/)).toHaveTextContent("(state_expired)");
    expect(screen.getByRole("button", { name: "Connect Gmail" })).toBeEnabled();
    expect(await screen.findByTestId("provider-openai")).toBeInTheDocument();
  });
});

describe("provider helpers", () => {
  it("words the consent outcome, units and durations", () => {
    expect(consentOutcome(new URLSearchParams("mailbox=connected&address=a%40b.de"))).toEqual({ ok: true, text: "a@b.de is connected." });
    expect(consentOutcome(new URLSearchParams("mailbox_error=weird"))?.text).toBe("The mailbox could not be connected. (weird)");
    expect(consentOutcome(new URLSearchParams(""))).toBeNull();
    expect(unitsText([])).toBe("—");
    expect(unitsText([{ unit: "tokens", count: 12345 }])).toBe("12,345 tokens");
    expect(durationText(850)).toBe("850 ms");
    expect(durationText(12_340)).toBe("12.3 s");
    expect(durationText(246_000)).toBe("4.1 min");
    const item = { user_id: "u", username: "u", provider: "openai", provider_label: "OpenAI", errors: 1, duration_ms: 5 };
    expect(
      totalsByProvider([
        { ...item, calls: 2, units: [{ unit: "tokens", count: 10 }] },
        { ...item, user_id: "v", calls: 3, units: [{ unit: "tokens", count: 5 }] },
      ]),
    ).toEqual([{ provider: "openai", label: "OpenAI", calls: 5, errors: 2, units: [{ unit: "tokens", count: 15 }] }]);
    expect(totalDetail({ provider: "x", label: "X", calls: 2, errors: 1, units: [{ unit: "tokens", count: 21 }] })).toBe("1 failed · 21 tokens");
    expect(totalDetail({ provider: "x", label: "X", calls: 2, errors: 0, units: [] })).toBe("all ok");
  });
});
