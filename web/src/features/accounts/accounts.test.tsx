import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { ageText, daysLeft, health, instagramPending, linkKindsText, linkOutcome, selectedAccount, type AccountView, type ChallengeView, type Vault } from "./api";
import AccountsPage from "./AccountsPage";
import AccountDetailPage from "./AccountDetailPage";
import ChallengesPage from "./ChallengesPage";
import { AccountSwitcher } from "./AccountSwitcher";
import { LoginPage } from "../auth/LoginPage";
import { ME, apiError, mockFetch, renderApp } from "../../test/utils";

const vault = (over: Partial<Vault> = {}): Vault => ({
  link_kinds: ["official"],
  token_expires_at: "2027-02-01T00:00:00Z",
  token_obtained_at: "2026-12-01T00:00:00Z",
  needs_reconnect: false,
  notice: null,
  session_status: "none",
  session_age_secs: null,
  session_started_at: null,
  session_checked_at: null,
  device_pinned: false,
  totp_seed_stored: false,
  proxy: null,
  last_challenge_at: null,
  last_error_code: null,
  last_error: null,
  last_error_at: null,
  ...over,
});

const account = (over: Partial<AccountView> = {}): AccountView => ({
  id: "a1",
  ig_user_id: "1784",
  username: "brand",
  full_name: "Brand",
  profile_picture_url: null,
  biography: null,
  followers_count: 1200,
  follows_count: 10,
  media_count: 5,
  account_type: "BUSINESS",
  last_synced_at: null,
  role: "owner",
  is_primary: true,
  vault: vault(),
  created_at: "2026-12-01T00:00:00Z",
  ...over,
});

const challenge: ChallengeView = {
  id: "c1",
  account_id: "a2",
  username: "twofa_shop",
  kind: "two_factor",
  prompt: "Instagram asks for the two-factor code: enter the code from the authenticator app or the SMS.",
  status: "open",
  error: null,
  created_at: "2026-12-06T09:00:00Z",
  resolved_at: null,
};

describe("account helpers", () => {
  it("select the primary account, else the first, else none", () => {
    expect(selectedAccount([account({ id: "x", is_primary: false }), account({ id: "y", is_primary: true })])?.id).toBe("y");
    expect(selectedAccount([account({ id: "x", is_primary: false })])?.id).toBe("x");
    expect(selectedAccount([])).toBeNull();
  });

  it("put health in one word, worst first", () => {
    expect(health(vault()).label).toBe("healthy");
    expect(health(vault({ needs_reconnect: true, session_status: "pending" })).label).toBe("reconnect needed");
    expect(health(vault({ link_kinds: ["session"], session_status: "pending" })).label).toBe("code needed");
    expect(health(vault({ link_kinds: ["session"], session_status: "invalid" })).tone).toBe("red");
    expect(health(vault({ link_kinds: ["session"], session_status: "logged_out" })).label).toBe("logged out");
    expect(health(vault({ last_error_code: "provider_unavailable" })).label).toBe("warning");
    expect(health(vault({ link_kinds: [] })).label).toBe("not linked");
    expect(linkKindsText(["official", "session"])).toBe("official + session");
  });

  it("say a session's age and a token's days left", () => {
    expect(ageText(null)).toBe("—");
    expect(ageText(30)).toBe("just now");
    expect(ageText(42 * 60)).toBe("42 min");
    expect(ageText(5 * 3600 + 12 * 60)).toBe("5 h 12 min");
    expect(ageText(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
    expect(daysLeft("2026-12-11T12:00:00Z", new Date("2026-12-06T12:00:00Z"))).toBe(5);
    expect(daysLeft("2026-12-05T12:00:00Z", new Date("2026-12-06T12:00:00Z"))).toBeLessThan(0);
    expect(daysLeft(null)).toBeNull();
  });

  it("read what Instagram's callback sent back", () => {
    expect(linkOutcome(new URLSearchParams("linked=a9"))).toEqual({ ok: true, accountId: "a9" });
    const err = linkOutcome(new URLSearchParams("error=state_expired"));
    expect(err?.ok).toBe(false);
    expect(err && !err.ok && err.text).toMatch(/longer than 10 minutes.*\(state_expired\)/);
    expect(linkOutcome(new URLSearchParams("error=something_new"))).toEqual({ ok: false, text: "Instagram could not be linked. (something_new)" });
    expect(linkOutcome(new URLSearchParams(""))).toBeNull();
    expect(instagramPending("#instagram_pending=tok%2B1&status=totp_required")).toEqual({ pending_token: "tok+1", status: "totp_required" });
    expect(instagramPending("#status=totp_required")).toBeNull();
    expect(instagramPending("")).toBeNull();
  });
});

describe("accounts pages", () => {
  it("say what to do when no account is linked, and block linking until an admin set it up", async () => {
    mockFetch({
      "GET /api/v1/accounts": { body: { items: [], can_link_official: false, can_link_session: true } },
      "GET /api/v1/challenges": { body: { items: [] } },
    });
    renderApp(<AccountsPage />, { route: "/accounts", me: { ...ME, role: "user" } });
    expect(await screen.findByText("No Instagram account linked yet")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Connect with Instagram" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Add by login" })).toBeEnabled();
  });

  it("add by login: a two-factor prompt opens the inbox at once with the code field ready; the answer logs in", async () => {
    const user = userEvent.setup();
    let open = false;
    const calls = mockFetch({
      "GET /api/v1/accounts": { body: { items: [account()], can_link_official: true, can_link_session: true } },
      "GET /api/v1/challenges": () => ({ body: { items: open ? [challenge] : [] } }),
      "POST /api/v1/accounts/credentials": () => {
        open = true;
        return { status: 201, body: { account: account({ id: "a2", username: "twofa_shop", is_primary: false }), challenge } };
      },
      "POST /api/v1/challenges/c1": (c) => {
        if ((c.body as { code: string }).code !== "123456") {
          return apiError(422, "validation_failed", "Invalid input.", { fields: { code: [{ code: "wrong_code", message: "Instagram did not accept this code. Try again." }] } });
        }
        open = false;
        // Like the API: the answered item comes back, resolved.
        return { body: { account: account({ id: "a2", username: "twofa_shop" }), challenge: { ...challenge, status: "resolved" } } };
      },
    });
    renderApp(
      <Routes>
        <Route path="/accounts" element={<AccountsPage />} />
        <Route path="/challenges" element={<ChallengesPage />} />
      </Routes>,
      { route: "/accounts", me: { ...ME, role: "user" } },
    );
    await user.click(await screen.findByRole("button", { name: "Add by login" }));
    const dialog = screen.getByRole("dialog", { name: "Add an Instagram account by login" });
    await user.type(within(dialog).getByLabelText("Instagram username"), "twofa_shop");
    await user.type(within(dialog).getByLabelText("Password"), "pw-of-the-shop");
    await user.click(within(dialog).getByRole("button", { name: "Log in and link" }));
    const body = calls.find((c) => c.url.endsWith("/accounts/credentials"))?.body;
    expect(body).toEqual({ username: "twofa_shop", password: "pw-of-the-shop", totp_seed: null, proxy: null });

    const item = await screen.findByTestId("challenge-item");
    expect(item).toHaveTextContent("Two-factor code");
    expect(item).toHaveTextContent("enter the code from the authenticator app");
    const code = within(item).getByLabelText("Code");
    await waitFor(() => expect(code).toHaveFocus());
    await user.type(code, "654321");
    await user.click(within(item).getByRole("button", { name: "Submit code" }));
    expect(await within(item).findByText("Instagram did not accept this code. Try again.")).toBeInTheDocument();
    await user.type(within(item).getByLabelText("Code"), "123456");
    await user.click(within(item).getByRole("button", { name: "Submit code" }));
    expect(await screen.findByText("@twofa_shop is logged in.")).toBeInTheDocument();
    expect(await screen.findByText("Nothing to answer")).toBeInTheDocument();
  });

  it("vault view: shows how it is linked, a reconnect notice, and the only-owner refusal; never a secret", async () => {
    const user = userEvent.setup();
    const a = account({
      vault: vault({
        link_kinds: ["official", "session"],
        needs_reconnect: true,
        notice: "Instagram rejected the token refresh.",
        session_status: "valid",
        session_age_secs: 7200,
        device_pinned: true,
        proxy: "http://proxy.example:8080",
        last_error_code: "provider_token_expired",
        last_error: "The token expired.",
        last_error_at: "2026-12-06T08:00:00Z",
      }),
    });
    mockFetch({
      "GET /api/v1/accounts/a1": { body: a },
      "GET /api/v1/accounts/a1/members": {
        body: {
          items: [
            { user_id: ME.id, username: "admin", role: "owner", added_at: "2026-12-01T00:00:00Z" },
            { user_id: "u2", username: "vera", role: "viewer", added_at: "2026-12-02T00:00:00Z" },
          ],
        },
      },
      "DELETE /api/v1/accounts/a1/members/u2": apiError(409, "last_owner", "An account keeps exactly one owner: hand it over to another member first (or unlink the account)."),
    });
    renderApp(<AccountDetailPage />, { route: "/accounts/a1", path: "/accounts/:id", me: ME });
    expect(await screen.findByTestId("vault-linked")).toHaveTextContent("official (Instagram Login) and session (login on the sidecar)");
    expect(screen.getByTestId("reconnect-notice")).toHaveTextContent("Instagram rejected the token refresh.");
    expect(within(screen.getByTestId("reconnect-notice")).getByRole("button", { name: "Reconnect" })).toBeInTheDocument();
    expect(screen.getByTestId("vault-age")).toHaveTextContent("2 h 0 min");
    expect(screen.getByTestId("vault-device")).toHaveTextContent("pinned");
    expect(screen.getByTestId("vault-proxy")).toHaveTextContent("http://proxy.example:8080");
    expect(screen.getByTestId("vault-error")).toHaveTextContent("provider_token_expired");
    expect(screen.getByRole("button", { name: "Unlink" })).toBeInTheDocument();

    await user.click(await screen.findByRole("button", { name: "Remove vera" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Remove" }));
    expect(await screen.findByText(/keeps exactly one owner/)).toBeInTheDocument();
  });

  it("an owner sets the proxy in place; the API's field error shows next to it", async () => {
    const user = userEvent.setup();
    const calls = mockFetch({
      "GET /api/v1/accounts/a1": { body: account() },
      "GET /api/v1/accounts/a1/members": { body: { items: [] } },
      "PATCH /api/v1/accounts/a1": (c) =>
        (c.body as { proxy: string }).proxy.startsWith("ftp")
          ? apiError(422, "validation_failed", "Invalid input.", { fields: { proxy: [{ code: "invalid", message: "A proxy URL: http://, https:// or socks5://." }] } })
          : { body: account({ vault: vault({ proxy: "socks5://host:1080" }) }) },
    });
    renderApp(<AccountDetailPage />, { route: "/accounts/a1", path: "/accounts/:id", me: ME });
    await user.click(await screen.findByRole("button", { name: "Set" }));
    await user.type(screen.getByLabelText("Proxy"), "ftp://nope");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("A proxy URL: http://, https:// or socks5://.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Proxy"));
    await user.type(screen.getByLabelText("Proxy"), "socks5://u:secret@host:1080");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("vault-proxy")).toHaveTextContent("socks5://host:1080"));
    expect(screen.getByTestId("vault-proxy")).not.toHaveTextContent("secret");
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ proxy: "ftp://nope" }, { proxy: "socks5://u:secret@host:1080" }]);
  });

  it("a member who is not the owner leaves instead of unlinking", async () => {
    mockFetch({
      "GET /api/v1/accounts/a1": { body: account({ role: "viewer" }) },
      "GET /api/v1/accounts/a1/members": { body: { items: [] } },
    });
    renderApp(<AccountDetailPage />, { route: "/accounts/a1", path: "/accounts/:id", me: { ...ME, role: "user" } });
    expect(await screen.findByRole("button", { name: "Leave" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Test session" })).toBeNull();
    expect(screen.queryByLabelText("Add a leadgen user")).toBeNull();
  });

  it("the header switcher makes the chosen account the primary one", async () => {
    const user = userEvent.setup();
    let primary = "a1";
    const list = () => [account({ is_primary: primary === "a1" }), account({ id: "a2", username: "shop", is_primary: primary === "a2" })];
    const calls = mockFetch({
      "GET /api/v1/accounts": () => ({ body: { items: list(), can_link_official: true, can_link_session: true } }),
      "PATCH /api/v1/accounts/a2": () => {
        primary = "a2";
        return { body: list()[1] };
      },
    });
    renderApp(<AccountSwitcher />, { route: "/leads", me: ME });
    expect(await screen.findByTestId("selected-account")).toHaveTextContent("@brand");
    await user.click(screen.getByRole("button", { name: "Instagram account: @brand" }));
    await user.click(screen.getByRole("option", { name: /@shop/ }));
    await waitFor(() => expect(screen.getByTestId("selected-account")).toHaveTextContent("@shop"));
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ primary: true });
  });
});

describe("sign in with Instagram", () => {
  const unauth = apiError(401, "unauthenticated", "Sign in");

  it("continues with the TOTP step the callback handed over, and signs in with the code", async () => {
    window.history.replaceState(null, "", "/login#instagram_pending=pend-1&status=totp_required");
    const calls = mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login/totp": { body: { status: "ok", user: ME, csrf_token: "c" } },
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    expect(await screen.findByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    // The pending token does not stay in the address.
    expect(window.location.hash).toBe("");
    await user.type(screen.getByLabelText("6-digit code from your authenticator app"), "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText("HOME PAGE")).toBeInTheDocument();
    expect(calls.find((c) => c.url.endsWith("/auth/login/totp"))?.body).toEqual({ pending_token: "pend-1", code: "123456" });
  });

  it("explains an Instagram identity no user linked, and offers the button next to the password form", async () => {
    window.history.replaceState(null, "", "/login");
    const calls = mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/instagram/start": apiError(409, "conflict", "Instagram sign-in is not set up."),
    });
    renderApp(<LoginPage />, { route: "/login?error=instagram_unknown", path: "/login" });
    expect(await screen.findByTestId("instagram-error")).toHaveTextContent("No leadgen user has linked this Instagram account");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Continue with Instagram" }));
    expect(await screen.findByText("Instagram sign-in is not set up.")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/auth/instagram/start"))).toBe(true);
  });
});
