// Checks and texts of the do-not-contact page, kept in step with the API (api/db/src/models/dnc.rs).
import type { DncKind } from "./api";

/** What the API stores for a value: usernames without `@`, both lowercased and trimmed. */
export function normaliseDncValue(kind: DncKind, raw: string): string {
  const v = raw.trim();
  return kind === "username" ? v.replace(/^@+/, "").trim().toLowerCase() : v.toLowerCase();
}

const USERNAME = /^[a-z0-9._]{1,30}$/;

/** Field errors the API would answer with 422, found before sending (empty when the input is fine). */
export function validateDnc(kind: DncKind, raw: string, reason = ""): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const v = normaliseDncValue(kind, raw);
  if (!v) {
    errors.value = [kind === "username" ? "Enter a username." : "Enter an e-mail address."];
  } else if (kind === "username" && !USERNAME.test(v)) {
    errors.value = ["1-30 characters: letters, digits, '.' or '_'"];
  } else if (kind === "email" && !validEmail(v)) {
    errors.value = ["Not a valid email address"];
  }
  if (reason.length > 500) errors.reason = ["At most 500 characters."];
  return errors;
}

function validEmail(e: string): boolean {
  if (e.length > 254 || /\s/.test(e)) return false;
  const at = e.indexOf("@");
  if (at <= 0) return false;
  const domain = e.slice(at + 1);
  return domain.includes(".") && !domain.startsWith(".") && !domain.endsWith(".");
}

/** The toast after adding an entry: how many of your leads it marked. */
export function addedMessage(leadsMarked: number): string {
  const n = leadsMarked.toLocaleString();
  return `Added; ${n} lead${leadsMarked === 1 ? "" : "s"} marked do not contact`;
}

/** How an entry's value reads in the table: usernames with their `@`. */
export function displayValue(kind: string, value: string): string {
  return kind === "username" ? `@${value}` : value;
}
