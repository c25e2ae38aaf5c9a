import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LoginPage } from "./LoginPage";
import { apiError, ME, mockFetch, renderApp } from "../../test/utils";

const unauth = apiError(401, "unauthenticated", "Sign in");
const policy = { body: { min_length: 12, max_bytes: 72, rules: [] } };

describe("LoginPage", () => {
  it("shows a clear message for wrong credentials", async () => {
    mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login": apiError(401, "invalid_credentials", "Invalid credentials"),
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    const username = await screen.findByLabelText("Username");
    expect(username).toHaveFocus();
    await user.type(username, "alice");
    await user.type(screen.getByLabelText("Password"), "nope{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  });

  it("explains a lockout with the wait in minutes", async () => {
    mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login": apiError(423, "account_locked", "Locked", { retry_after_secs: 300 }),
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "alice");
    await user.type(screen.getByLabelText("Password"), "whatever{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed attempts. Try again in 5 minutes.");
  });

  it("asks for a TOTP code, reports attempts left, and signs in", async () => {
    let tries = 0;
    const calls = mockFetch({
      "GET /api/v1/me": unauth,
      "GET /api/v1/auth/password-policy": policy,
      "POST /api/v1/auth/login": {
        body: { status: "totp_required", pending_token: "pt", pending_expires_at: null, user: null, csrf_token: null, backup_codes: null },
      },
      "POST /api/v1/auth/login/totp": () =>
        ++tries === 1
          ? apiError(401, "invalid_totp_code", "Wrong code", { attempts_left: 4 })
          : { body: { status: "ok", pending_token: null, pending_expires_at: null, user: ME, csrf_token: "c", backup_codes: null } },
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "secret password{Enter}");
    const code = await screen.findByLabelText("6-digit code from your authenticator app");
    expect(code).toHaveFocus();
    await user.type(code, "123456{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("That code is not right. 4 attempts left.");
    await user.type(screen.getByLabelText("6-digit code from your authenticator app"), "654321{Enter}");
    expect(await screen.findByText("HOME PAGE")).toBeInTheDocument();
    const totpCalls = calls.filter((c) => c.url.endsWith("/auth/login/totp"));
    expect(totpCalls.map((c) => c.body)).toEqual([
      { pending_token: "pt", code: "123456" },
      { pending_token: "pt", code: "654321" },
    ]);
  });

  it("switches to a backup code", async () => {
    const calls = mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login": {
        body: { status: "totp_required", pending_token: "pt", pending_expires_at: null, user: null, csrf_token: null, backup_codes: null },
      },
      "POST /api/v1/auth/login/totp": { body: { status: "ok", pending_token: null, pending_expires_at: null, user: ME, csrf_token: null, backup_codes: null } },
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "pw{Enter}");
    await user.click(await screen.findByRole("button", { name: "Use a backup code" }));
    await user.type(screen.getByLabelText("Backup code"), "abcde-12345{Enter}");
    await screen.findByText("HOME PAGE");
    expect(calls.at(-1)?.body).toEqual({ pending_token: "pt", backup_code: "abcde-12345" });
  });

  it("goes back to the username form when the step expired", async () => {
    mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login": {
        body: { status: "totp_required", pending_token: "pt", pending_expires_at: null, user: null, csrf_token: null, backup_codes: null },
      },
      "POST /api/v1/auth/login/totp": apiError(401, "login_step_expired", "Expired"),
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "pw{Enter}");
    await user.type(await screen.findByLabelText(/6-digit code/), "111111{Enter}");
    expect(await screen.findByRole("status")).toHaveTextContent(/expired/);
    expect(screen.getByLabelText("Username")).toBeInTheDocument();
  });

  it("shows the live password rules and the server's field error on a forced change", async () => {
    mockFetch({
      "GET /api/v1/me": unauth,
      "GET /api/v1/auth/password-policy": policy,
      "POST /api/v1/auth/login": {
        body: { status: "password_change_required", pending_token: "pt", pending_expires_at: null, user: null, csrf_token: null, backup_codes: null },
      },
      "POST /api/v1/auth/login/password": apiError(422, "validation_failed", "Invalid", {
        fields: { new_password: [{ code: "common_password", message: "This password is too common" }] },
      }),
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "admin{Enter}");
    const pw = await screen.findByLabelText("New password");
    const submit = screen.getByRole("button", { name: "Set new password" });
    await user.type(pw, "admin");
    expect(submit).toBeDisabled();
    await user.clear(pw);
    await user.type(pw, "password1234");
    await user.type(screen.getByLabelText("Repeat new password"), "password1234");
    await waitFor(() => expect(submit).toBeEnabled());
    await user.click(submit);
    expect(await screen.findByText("This password is too common")).toBeInTheDocument();
    expect(screen.getByLabelText("New password")).toHaveAttribute("aria-invalid", "true");
  });
});

describe("LoginPage rate limiting", () => {
  it("shows the wait for a 429 on sign-in", async () => {
    mockFetch({
      "GET /api/v1/me": unauth,
      "POST /api/v1/auth/login": apiError(429, "rate_limited", "Too many requests", { retry_after_secs: 90 }),
    });
    renderApp(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Username"), "alice");
    await user.type(screen.getByLabelText("Password"), "whatever{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed attempts. Try again in 2 minutes.");
  });
});
