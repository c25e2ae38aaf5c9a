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

/**
 * The items of a pasted or uploaded list: one per line, or separated by commas, semicolons or tabs; quotes
 * dropped. A CSV with a header naming a `value` (or `username`/`email`) column — as the export writes — gives
 * that column only.
 */
export function splitList(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim());
  const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, "$1").trim();
  if (lines.length) {
    const sep = [",", ";", "\t"].find((c) => lines[0].includes(c));
    if (sep) {
      const head = lines[0].split(sep).map((h) => unquote(h).toLowerCase());
      const col = ["value", "username", "email", "e-mail", "benutzername"].map((n) => head.indexOf(n)).find((i) => i >= 0);
      if (col !== undefined) return lines.slice(1).map((l) => unquote(l.split(sep)[col] ?? "")).filter(Boolean);
    }
  }
  return lines
    .flatMap((l) => l.split(/[,;\t]/))
    .map(unquote)
    .filter(Boolean);
}

/** The result of adding many entries, in one sentence. */
export function bulkMessage(r: { added: number; already_listed: number; leads_marked: number; invalid: unknown[] }): string {
  const parts = [`Added ${r.added.toLocaleString()}`];
  if (r.already_listed) parts.push(`${r.already_listed.toLocaleString()} already on the list`);
  if (r.invalid.length) parts.push(`${r.invalid.length.toLocaleString()} not valid`);
  parts.push(`${r.leads_marked.toLocaleString()} lead${r.leads_marked === 1 ? "" : "s"} marked do not contact`);
  return parts.join("; ") + ".";
}
