// The sign-in flow as a pure reducer: each API answer (LoginStep) decides the next screen.
import type { LoginStep, Me, TotpSetup } from "../../api/types";

export type LoginState =
  | { step: "credentials"; notice: string | null }
  | { step: "password_change"; pendingToken: string; username: string }
  | { step: "totp"; pendingToken: string; useBackup: boolean }
  | { step: "totp_setup"; pendingToken: string; setup: TotpSetup | null }
  | { step: "backup_codes"; codes: string[]; user: Me | null }
  | { step: "done"; user: Me | null };

export type LoginAction =
  | { type: "answer"; answer: LoginStep; username?: string }
  | { type: "setup_loaded"; setup: TotpSetup }
  | { type: "toggle_backup" }
  | { type: "codes_saved" }
  | { type: "expired" }
  | { type: "restart"; notice?: string | null };

export const initialLoginState: LoginState = { step: "credentials", notice: null };

export const EXPIRED_NOTICE = "Your sign-in step expired. Please enter your username and password again.";

export function loginReducer(state: LoginState, action: LoginAction): LoginState {
  switch (action.type) {
    case "answer":
      return fromAnswer(state, action.answer, action.username);
    case "setup_loaded":
      return state.step === "totp_setup" ? { ...state, setup: action.setup } : state;
    case "toggle_backup":
      return state.step === "totp" ? { ...state, useBackup: !state.useBackup } : state;
    case "codes_saved":
      return state.step === "backup_codes" ? { step: "done", user: state.user } : state;
    case "expired":
      return { step: "credentials", notice: EXPIRED_NOTICE };
    case "restart":
      return { step: "credentials", notice: action.notice ?? null };
  }
}

function fromAnswer(state: LoginState, a: LoginStep, username?: string): LoginState {
  const pending = a.pending_token ?? "";
  switch (a.status) {
    case "ok":
      if (a.backup_codes && a.backup_codes.length > 0) {
        return { step: "backup_codes", codes: a.backup_codes, user: a.user ?? null };
      }
      return { step: "done", user: a.user ?? null };
    case "password_change_required":
      return {
        step: "password_change",
        pendingToken: pending,
        username: username ?? (state.step === "password_change" ? state.username : a.user?.username ?? ""),
      };
    case "totp_required":
      return { step: "totp", pendingToken: pending, useBackup: false };
    case "totp_setup_required":
      return { step: "totp_setup", pendingToken: pending, setup: null };
    default:
      return { step: "credentials", notice: "Unexpected answer from the server. Please try again." };
  }
}
