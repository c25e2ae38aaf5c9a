import { ApiError } from "../api/client";

export function waitText(secs: number | null): string {
  if (secs === null || secs <= 0) return "a few minutes";
  if (secs < 60) return secs === 1 ? "1 second" : `${Math.ceil(secs)} seconds`;
  const mins = Math.ceil(secs / 60);
  return mins === 1 ? "1 minute" : `${mins} minutes`;
}

/** A sentence for a user, for any error thrown by the API client. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : "Something went wrong.";
  switch (e.code) {
    case "invalid_credentials":
      return "Wrong username or password.";
    case "account_locked":
      return `Too many failed attempts. Try again in ${waitText(e.retryAfterSecs)}.`;
    case "rate_limited":
      return `Too many requests. Try again in ${waitText(e.retryAfterSecs)}.`;
    case "invalid_totp_code": {
      const left = e.details?.attempts_left;
      if (typeof left === "number") {
        return `That code is not right. ${left === 1 ? "1 attempt" : `${left} attempts`} left.`;
      }
      return "That code is not right.";
    }
    case "login_step_expired":
      return "Your sign-in took too long or had too many wrong codes. Please sign in again.";
    case "csrf_failed":
      return "Your session token is out of date. Reload the page and try again.";
    case "forbidden":
      return "You don't have access to this.";
    case "password_change_required":
      return "Change your password first (Profile → Change password).";
    case "totp_setup_required":
      return "Set up two-factor authentication first (Profile → Two-factor authentication).";
    case "validation_failed": {
      const fields = e.fieldErrors;
      const first = Object.values(fields)[0]?.[0];
      return first ?? e.message;
    }
    default:
      return e.message || "Something went wrong.";
  }
}

/** Messages on the sign-in screens: a rate limit there is also about failed attempts. */
export function loginErrorMessage(e: unknown): string {
  if (e instanceof ApiError && e.code === "rate_limited") {
    return `Too many failed attempts. Try again in ${waitText(e.retryAfterSecs)}.`;
  }
  return errorMessage(e);
}

/** Field errors of a 422/409 error, or {} for anything else. */
export function fieldErrors(e: unknown): Record<string, string[]> {
  return e instanceof ApiError ? e.fieldErrors : {};
}
