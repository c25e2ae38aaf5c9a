// The review queue's API: drafts (GET /drafts with filters, /drafts/facets), edit (PATCH), approve/reject many,
// regenerate one with an optional instruction.
import { http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type Draft = S["DraftDto"];
export type DraftPage = S["DraftPage"];
export type DraftFacets = S["DraftFacetsDto"];
export type ReviewOutcome = S["ReviewOutcome"];

export type DraftStatus = "pending" | "approved" | "rejected" | "sent";

export interface DraftQuery {
  session_id?: string;
  product_id?: string;
  prompt_version?: number;
  status?: DraftStatus;
  limit?: number;
  offset?: number;
}

const enc = encodeURIComponent;

export function qs(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "" && v !== null) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export const draftsApi = {
  list: (q: DraftQuery, signal?: AbortSignal) => http.get<DraftPage>(`/drafts${qs(q)}`, { signal }),
  facets: () => http.get<DraftFacets>("/drafts/facets"),
  get: (id: string) => http.get<Draft>(`/drafts/${enc(id)}`),
  update: (id: string, patch: { subject?: string; body?: string }) => http.patch<Draft>(`/drafts/${enc(id)}`, patch),
  approve: (ids: string[]) => http.post<ReviewOutcome>("/drafts/approve", { ids }),
  reject: (ids: string[]) => http.post<ReviewOutcome>("/drafts/reject", { ids }),
  regenerate: (id: string, instruction?: string) =>
    http.post<Draft>(`/drafts/${enc(id)}/regenerate`, instruction ? { instruction } : {}),
};

export const draftKeys = {
  all: ["drafts"] as const,
  list: (q: DraftQuery) => ["drafts", "list", q] as const,
  facets: ["drafts", "facets"] as const,
};
