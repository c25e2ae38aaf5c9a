// The do-not-contact list: usernames and e-mail addresses never to reach. Types from the generated schema.
import { API_BASE, http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type DncEntry = S["DncEntry"];
export type DncInput = S["DncInput"];
export type DncPage = S["DncPage"];
export type DncAdded = S["DncAdded"];
export type DncKind = "username" | "email";
export type DncBulkInput = S["DncBulkInput"];
export type DncBulkResult = S["DncBulkResult"];

export interface DncQuery {
  q?: string;
  limit?: number;
  offset?: number;
}

const enc = encodeURIComponent;

export const dncApi = {
  list: (q: DncQuery, signal?: AbortSignal) => http.get<DncPage>("/do-not-contact", { query: { ...q }, signal }),
  add: (body: DncInput) => http.post<DncAdded>("/do-not-contact", body),
  remove: (id: string) => http.del(`/do-not-contact/${enc(id)}`),
  addMany: (body: DncBulkInput) => http.post<DncBulkResult>("/do-not-contact/bulk", body),
  exportUrl: () => `${API_BASE}/do-not-contact/export`,
};

export const dncKeys = {
  all: ["dnc"] as const,
  list: (q: DncQuery) => ["dnc", "list", q] as const,
};
