// The review queue's logic: filters from the URL, the selection of drafts, and the edit form's checks.
import type { Draft, DraftQuery, DraftStatus } from "./api";

export const PER_PAGE = 50;

export const STATUS_LABEL: Record<DraftStatus, string> = {
  pending: "waiting for review",
  approved: "approved",
  rejected: "rejected",
  sent: "sent",
};

export const STATUS_TONE: Record<DraftStatus, "green" | "red" | "amber" | "neutral" | "blue"> = {
  pending: "amber",
  approved: "green",
  rejected: "neutral",
  sent: "blue",
};

export const STATUSES: DraftStatus[] = ["pending", "approved", "rejected", "sent"];

/**
 * The query for the URL's filters. The status defaults to "pending" (what waits for you); `status=all` shows every
 * status.
 */
export function queryFromParams(params: URLSearchParams): DraftQuery {
  const page = Math.max(1, Number(params.get("page")) || 1);
  const statusParam = params.get("status") ?? "pending";
  const status = STATUSES.includes(statusParam as DraftStatus) ? (statusParam as DraftStatus) : undefined;
  const version = Number(params.get("prompt_version"));
  return {
    session_id: params.get("session") || undefined,
    product_id: params.get("product") || undefined,
    prompt_version: Number.isInteger(version) && version > 0 ? version : undefined,
    status,
    limit: PER_PAGE,
    offset: (page - 1) * PER_PAGE,
  };
}

/** What the header checkbox shows for the drafts on the page. */
export function selectionState(pageIds: string[], selected: ReadonlySet<string>): "none" | "some" | "all" {
  const n = pageIds.filter((id) => selected.has(id)).length;
  if (n === 0) return "none";
  return n === pageIds.length ? "all" : "some";
}

/** The header checkbox: all of the page's drafts selected, or none of them (others stay as they are). */
export function toggleAll(pageIds: string[], selected: ReadonlySet<string>): Set<string> {
  const next = new Set(selected);
  if (selectionState(pageIds, selected) === "all") pageIds.forEach((id) => next.delete(id));
  else pageIds.forEach((id) => next.add(id));
  return next;
}

export function toggleOne(id: string, selected: ReadonlySet<string>): Set<string> {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

export interface EditErrors {
  subject?: string[];
  body?: string[];
}

/** The edit form's checks, as the API makes them (not empty; subject ≤ 500, body ≤ 50,000 characters). */
export function checkEdit(subject: string, body: string): EditErrors {
  const errors: EditErrors = {};
  if (!subject.trim()) errors.subject = ["Enter a subject."];
  else if ([...subject].length > 500) errors.subject = ["At most 500 characters."];
  if (!body.trim()) errors.body = ["Enter the e-mail's text."];
  else if ([...body].length > 50_000) errors.body = ["At most 50,000 characters."];
  return errors;
}

/** Only what changed goes to the API (nothing when nothing changed). */
export function editPatch(d: Pick<Draft, "subject" | "body">, subject: string, body: string): { subject?: string; body?: string } | null {
  const patch: { subject?: string; body?: string } = {};
  if (subject.trim() !== d.subject) patch.subject = subject;
  if (body.trimEnd() !== d.body) patch.body = body;
  return Object.keys(patch).length ? patch : null;
}

/** "#yoga, #pilates · 12 drafts" with the session's name, else "Session of 6 Dec, 14:05 · 12 drafts". */
export function sessionLabel(
  s: { session_id: string; drafts: number; latest_at: string },
  format: (iso: string) => string,
  name?: string | null,
): string {
  const what = name && name.trim() ? name.trim() : `Session of ${format(s.latest_at)}`;
  return `${what} · ${s.drafts} draft${s.drafts === 1 ? "" : "s"}`;
}

/** "3 approved" / "1 rejected", and what was left out. */
export function outcomeText(updated: number, asked: number, verb: "approved" | "rejected"): string {
  const base = `${updated} draft${updated === 1 ? "" : "s"} ${verb}`;
  const left = asked - updated;
  return left > 0 ? `${base} (${left} already ${verb} or not changeable)` : base;
}
