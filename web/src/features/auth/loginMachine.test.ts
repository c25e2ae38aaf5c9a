import { describe, expect, it } from "vitest";
import type { LoginStep } from "../../api/types";
import { EXPIRED_NOTICE, initialLoginState, loginReducer, type LoginState } from "./loginMachine";
import { ME } from "../../test/utils";

const answer = (status: LoginStep["status"], extra: Partial<LoginStep> = {}): LoginStep => ({
  status,
  pending_token: status === "ok" ? null : "pt-1",
  pending_expires_at: null,
  user: status === "ok" ? ME : null,
  csrf_token: null,
  backup_codes: null,
  ...extra,
});

describe("login state machine", () => {
  it("goes credentials → password change → 2FA setup → backup codes → done (first boot)", () => {
    let s: LoginState = initialLoginState;
    s = loginReducer(s, { type: "answer", answer: answer("password_change_required"), username: "admin" });
    expect(s).toEqual({ step: "password_change", pendingToken: "pt-1", username: "admin" });
    s = loginReducer(s, { type: "answer", answer: answer("totp_setup_required", { pending_token: "pt-2" }) });
    expect(s).toEqual({ step: "totp_setup", pendingToken: "pt-2", setup: null });
    const setup = { secret: "ABC", otpauth_uri: "otpauth://x", qr_data_url: "data:x" };
    s = loginReducer(s, { type: "setup_loaded", setup });
    expect(s.step === "totp_setup" && s.setup).toEqual(setup);
    const codes = Array.from({ length: 10 }, (_, i) => `code-${i}`);
    s = loginReducer(s, { type: "answer", answer: answer("ok", { backup_codes: codes }) });
    expect(s).toEqual({ step: "backup_codes", codes, user: ME });
    s = loginReducer(s, { type: "codes_saved" });
    expect(s).toEqual({ step: "done", user: ME });
  });

  it("goes straight to done on ok without backup codes", () => {
    expect(loginReducer(initialLoginState, { type: "answer", answer: answer("ok") })).toEqual({ step: "done", user: ME });
  });

  it("asks for a TOTP code and toggles to a backup code", () => {
    let s = loginReducer(initialLoginState, { type: "answer", answer: answer("totp_required") });
    expect(s).toEqual({ step: "totp", pendingToken: "pt-1", useBackup: false });
    s = loginReducer(s, { type: "toggle_backup" });
    expect(s.step === "totp" && s.useBackup).toBe(true);
  });

  it("returns to the credentials form with a notice when the step expired", () => {
    const s = loginReducer({ step: "totp", pendingToken: "p", useBackup: false }, { type: "expired" });
    expect(s).toEqual({ step: "credentials", notice: EXPIRED_NOTICE });
  });

  it("ignores actions that do not fit the current step", () => {
    expect(loginReducer(initialLoginState, { type: "toggle_backup" })).toBe(initialLoginState);
    expect(loginReducer(initialLoginState, { type: "codes_saved" })).toBe(initialLoginState);
  });
});
