// Background jobs: the admin Jobs page (GET /admin/jobs, retry, cancel) and a user's own background work
// (GET /me/jobs, cancel).
import { http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type JobItem = S["JobItem"];
export type JobState = S["JobState"];
export type QueueCounts = S["QueueCounts"];
export type AdminJobPage = S["AdminJobPage"];
export type JobPage = S["JobPage"];

export interface JobQuery {
  queue?: string;
  state?: JobState;
  kind?: string;
  page?: number;
  per_page?: number;
}

const enc = encodeURIComponent;

function qs(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export const jobsApi = {
  list: (q: JobQuery, signal?: AbortSignal) => http.get<AdminJobPage>(`/admin/jobs${qs(q)}`, { signal }),
  cancel: (id: string) => http.post<JobItem>(`/admin/jobs/${enc(id)}/cancel`),
  retry: (id: string) => http.post<JobItem>(`/admin/jobs/${enc(id)}/retry`),
  mine: (q: { state?: JobState; per_page?: number } = {}) => http.get<JobPage>(`/me/jobs${qs(q)}`),
  cancelMine: (id: string) => http.post<JobItem>(`/me/jobs/${enc(id)}/cancel`),
};

export const jobKeys = {
  all: ["jobs"] as const,
  admin: (q: JobQuery) => ["jobs", "admin", q] as const,
  mine: ["jobs", "mine"] as const,
};

/** Every state, in the order a job goes through them. */
export const JOB_STATES: JobState[] = ["available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled"];

/** States in which a job still has work ahead of it. */
const ACTIVE: JobState[] = ["available", "scheduled", "running", "retryable"];

export function isActive(j: Pick<JobItem, "state">): boolean {
  return ACTIVE.includes(j.state);
}

/** A job that can still be stopped (and was not asked to stop already). */
export function canCancel(j: Pick<JobItem, "state" | "cancel_requested">): boolean {
  return isActive(j) && !j.cancel_requested;
}

/** Failed, cancelled or waiting for its retry: an admin may run it again now. */
export function canRetry(j: Pick<JobItem, "state">): boolean {
  return j.state === "discarded" || j.state === "cancelled" || j.state === "retryable";
}

/** Poll while something has work ahead of it (2 s), otherwise not at all. */
export function pollInterval(items: Array<Pick<JobItem, "state">> | undefined): number | false {
  return items?.some(isActive) ? 2000 : false;
}

/** Percent done (0–100), or null when the job reports no total. */
export function percent(j: Pick<JobItem, "progress" | "state">): number | null {
  if (j.state === "completed") return 100;
  const p = j.progress;
  if (!p || p.total === null || p.total === undefined || p.total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((100 * p.done) / p.total)));
}

export const STATE_LABEL: Record<JobState, string> = {
  available: "waiting",
  scheduled: "scheduled",
  running: "running",
  retryable: "retrying",
  completed: "completed",
  discarded: "failed",
  cancelled: "cancelled",
};

export const STATE_TONE: Record<JobState, "green" | "red" | "amber" | "neutral" | "blue"> = {
  available: "neutral",
  scheduled: "neutral",
  running: "blue",
  retryable: "amber",
  completed: "green",
  discarded: "red",
  cancelled: "neutral",
};

/** "Stopping…" while a cancelled job runs to its next checkpoint. */
export function stateText(j: Pick<JobItem, "state" | "cancel_requested">): string {
  return j.state === "running" && j.cancel_requested ? "stopping…" : STATE_LABEL[j.state];
}
