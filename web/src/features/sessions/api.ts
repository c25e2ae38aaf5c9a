// Processing sessions (issue 17): crawl hashtags → enrich → contacts → dedupe → drafts, with live progress.
// The types are the generated contract (src/api/schema.d.ts, from openapi.yaml), as features/jobs/api.ts does.
import { ApiError, http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];

export type SessionStatus = S["SessionStatus"];
export type StageName = S["Stage"];
export type StageStatus = S["StageStatus"];
export type SessionFilters = S["SessionFilters"];
export type SessionPacing = S["SessionPacing"];
/** Body of POST /sessions and POST /sessions/estimate. */
export type SessionInput = S["SessionForm"];
export type StageProgress = S["StageProgress"];
export type SessionCounts = S["SessionCounts"];
export type Session = S["SessionDto"];
export type SessionPage = S["SessionPage"];
export type EstimateLine = S["EstimateLine"];
export type Estimate = S["Estimate"];
export type SessionLogEntry = S["SessionLogItem"];
export type SessionItem = S["SessionItemDto"];
/** A Perplexity citation kept on a lead (LeadDto.contact_sources). */
export type ContactSource = S["ContactSource"];

// ---- endpoints ----

const enc = encodeURIComponent;

export interface SessionListQuery {
  status?: SessionStatus;
  limit?: number;
  offset?: number;
}

export const sessionsApi = {
  list: (q: SessionListQuery = {}, signal?: AbortSignal) => http.get<SessionPage>("/sessions", { query: { ...q }, signal }),
  get: (id: string, signal?: AbortSignal) => http.get<Session>(`/sessions/${enc(id)}`, { signal }),
  create: (body: SessionInput) => http.post<Session>("/sessions", body),
  estimate: (body: SessionInput, signal?: AbortSignal) => http.post<Estimate>("/sessions/estimate", body, { signal }),
  cancel: (id: string) => http.post<Session>(`/sessions/${enc(id)}/cancel`),
  resume: (id: string) => http.post<Session>(`/sessions/${enc(id)}/resume`),
  retryFailed: (id: string) => http.post<Session>(`/sessions/${enc(id)}/retry-failed`),
  log: (id: string, limit = 200) => http.get<{ items: SessionLogEntry[] }>(`/sessions/${enc(id)}/log`, { query: { limit } }),
  items: (id: string, q: { status?: SessionItem["status"]; stage?: StageName; limit?: number; offset?: number } = {}) =>
    http.get<{ items: SessionItem[]; total: number }>(`/sessions/${enc(id)}/items`, { query: { ...q } }),
  addRelated: (id: string, hashtags: string[]) => http.post<Session>(`/sessions/${enc(id)}/related-hashtags`, { hashtags }),
  /** The server-sent events URL (EventSource; the session cookie authenticates it). */
  eventsUrl: (id: string) => `/api/v1/sessions/${enc(id)}/events`,
};

export const sessionKeys = {
  all: ["sessions"] as const,
  list: (q: SessionListQuery) => ["sessions", "list", q] as const,
  /** The newest session of the user, to show (and follow) the one that runs. */
  latest: ["sessions", "latest"] as const,
  one: (id: string) => ["sessions", "one", id] as const,
  log: (id: string) => ["sessions", "log", id] as const,
  items: (id: string, status: string) => ["sessions", "items", id, status] as const,
  estimate: (body: unknown) => ["sessions", "estimate", body] as const,
};

/** The session a 409 `heavy_operation_running` names: `{ session_id, name }`, or null for any other error. */
export function runningOperation(e: unknown): { session_id: string | null; name: string | null } | null {
  if (!(e instanceof ApiError) || e.status !== 409 || e.code !== "heavy_operation_running") return null;
  const id = e.details?.session_id;
  const name = e.details?.name;
  return { session_id: typeof id === "string" ? id : null, name: typeof name === "string" ? name : null };
}

// ---- status, stages and progress maths ----

export const STAGES: StageName[] = ["crawl", "enrich", "contacts", "dedupe", "drafts"];

export const STAGE_LABEL: Record<StageName, string> = {
  crawl: "Crawl hashtags",
  enrich: "Enrich profiles",
  contacts: "Find contacts",
  dedupe: "Deduplicate",
  drafts: "Write e-mails",
};

export const STAGE_HINT: Record<StageName, string> = {
  crawl: "Apify hashtag scraper: the usernames behind the posts of each hashtag.",
  enrich: "Apify profile scraper in batches: followers, bio, e-mail, phone and website.",
  contacts: "Perplexity looks for contact data of leads still without any; its sources stay on the lead.",
  dedupe: "Merges with your existing leads (username, then e-mail) and drops do-not-contact entries.",
  drafts: "One personal e-mail draft per lead from the product's prompt (OpenAI), for you to review.",
};

export const STATUS_LABEL: Record<SessionStatus, string> = {
  queued: "queued",
  running: "running",
  cancelling: "stopping…",
  cancelled: "cancelled",
  done: "done",
  failed: "failed",
};

export const STATUS_TONE: Record<SessionStatus, "green" | "red" | "amber" | "neutral" | "blue"> = {
  queued: "neutral",
  running: "blue",
  cancelling: "amber",
  cancelled: "neutral",
  done: "green",
  failed: "red",
};

/** Queued, running or stopping: the server still works on it (and it blocks a second heavy operation). */
export function isActive(s: Pick<Session, "status"> | null | undefined): boolean {
  return !!s && (s.status === "queued" || s.status === "running" || s.status === "cancelling");
}

export function canCancel(s: Pick<Session, "status">): boolean {
  return s.status === "queued" || s.status === "running";
}

/** Stopped before the end (cancelled, or failed as a whole): resume goes on from the last checkpoint. */
export function canResume(s: Pick<Session, "status">): boolean {
  return s.status === "cancelled" || s.status === "failed";
}

/** Finished with failed items: they can be tried again on their own. */
export function canRetryFailed(s: Pick<Session, "status" | "counts" | "stage_progress">): boolean {
  if (isActive(s)) return false;
  return s.counts.failed > 0 || s.stage_progress.some((p) => p.failed > 0);
}

/** A stage's bar: percent done and percent failed (of its total; both 0–100, together at most 100). */
export function stagePercents(p: Pick<StageProgress, "status" | "done" | "total" | "failed">): { done: number; failed: number } {
  if (p.total <= 0) return p.status === "done" || p.status === "skipped" ? { done: 100, failed: 0 } : { done: 0, failed: 0 };
  // A single failed item still shows (at least 1 %); the two never add up to more than 100.
  const rawFailed = Math.min(100, Math.max(0, (100 * p.failed) / p.total));
  const failed = rawFailed > 0 ? Math.max(1, Math.floor(rawFailed)) : 0;
  const done = Math.min(100 - failed, Math.floor(Math.max(0, (100 * p.done) / p.total)));
  return { done, failed };
}

/** The stage the list and the dashboard show: the running one, else the last one that did something, else the first. */
export function currentStage(s: Pick<Session, "current_stage" | "stage_progress" | "status">): StageProgress | null {
  const list = s.stage_progress;
  if (list.length === 0) return null;
  if (s.current_stage) {
    const cur = list.find((p) => p.stage === s.current_stage);
    if (cur) return cur;
  }
  const running = list.find((p) => p.status === "running");
  if (running) return running;
  for (let i = list.length - 1; i >= 0; i--) if (list[i].status !== "pending") return list[i];
  return list[0];
}

/**
 * How far the whole session is (0–100): every stage weighs the same; a finished or skipped stage counts whole, a
 * running one by its items. 100 once the session is done.
 */
export function overallPercent(s: Pick<Session, "status" | "stage_progress">): number {
  if (s.status === "done") return 100;
  const list = s.stage_progress;
  if (list.length === 0) return 0;
  let sum = 0;
  for (const p of list) {
    if (p.status === "done" || p.status === "skipped") sum += 1;
    else if (p.total > 0) sum += Math.min(1, (p.done + p.failed) / p.total);
  }
  return Math.min(100, Math.floor((100 * sum) / list.length));
}

/** Seconds left of the current pause at `now` (from `until`, else what the server reported left), or null without a pause. */
export function pauseLeft(pause: Session["pause"], now: number): number | null {
  if (!pause) return null;
  const until = Date.parse(pause.until);
  if (Number.isFinite(until)) return Math.max(0, Math.ceil((until - now) / 1000));
  return Math.max(0, Math.round(pause.remaining_seconds));
}

export function pauseText(secs: number | null): string | null {
  if (secs === null) return null;
  return secs <= 0 ? "starting the next batch…" : `waiting ${secs} s before the next batch`;
}

/** "about 2 min left", "under a minute left", "about 1 h 5 min left"; null when unknown. */
export function etaText(secs: number | null | undefined): string | null {
  if (secs === null || secs === undefined || !Number.isFinite(secs) || secs < 0) return null;
  if (secs < 60) return "under a minute left";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `about ${mins} min left`;
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  return m ? `about ${h} h ${m} min left` : `about ${h} h left`;
}

/** US dollars: cents for amounts of a cent and more, four decimals below ($0.0040), "$0.00" for nothing. */
export function usd(v: number | null | undefined): string {
  const n = typeof v === "number" && Number.isFinite(v) ? v : 0;
  if (n > 0 && n < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The name a user gave, else the hashtags ("#fitness, #yoga +3"), else what it does ("Drafts for 12 leads"). */
export function sessionTitle(s: Pick<Session, "name" | "hashtags" | "stages" | "stage_progress">): string {
  if (s.name && s.name.trim()) return s.name.trim();
  if (s.hashtags.length) {
    const shown = s.hashtags.slice(0, 3).map((h) => `#${h}`).join(", ");
    return s.hashtags.length > 3 ? `${shown} +${s.hashtags.length - 3}` : shown;
  }
  if (s.stages.length === 1 && s.stages[0] === "drafts") {
    const total = s.stage_progress.find((p) => p.stage === "drafts")?.total ?? 0;
    return total ? `Drafts for ${total.toLocaleString()} lead${total === 1 ? "" : "s"}` : "Drafts for selected leads";
  }
  return "Session";
}

/** True when the leads a session added or updated changed between two snapshots (the grid then reloads). */
export function leadsChanged(prev: Pick<Session, "counts"> | null | undefined, next: Pick<Session, "counts"> | null | undefined): boolean {
  if (!prev || !next) return false;
  return (
    prev.counts.leads_added !== next.counts.leads_added ||
    prev.counts.leads_updated !== next.counts.leads_updated ||
    prev.counts.merged !== next.counts.merged ||
    prev.counts.drafts !== next.counts.drafts
  );
}
