// Leads, products and prompts endpoints. Types come from the generated schema (../../api/schema.d.ts);
// endpoints that the spec does not list yet (bulk, undo/redo, views, export, import) are typed here and
// feature-detected at run time (a 404 `not_found` on the route means "not available on this server").
import { ApiError, csrfToken, CSRF_HEADER, http, parseError, API_BASE } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type LeadDto = S["LeadDto"];
export type LeadPatch = S["LeadPatch"];
export type LeadPage = S["LeadPage"];
export type LeadEdit = S["LeadEditDto"];
export type ProductDto = S["ProductDto"];
export type ProductInput = S["ProductInput"];
export type ProductVariable = S["ProductVariable"];
export type PromptDto = S["PromptDto"];
export type PromptInput = S["PromptInput"];
export type PromptVersion = S["PromptVersionDto"];
export type TemplateError = S["TemplateError"];
export type TemplateNames = S["TemplateNames"];
export type PreviewResponse = S["PreviewResponse"];
export type LeadHashtag = S["LeadHashtag"];

export const LEAD_STATUSES = [
  "new",
  "enriched",
  "qualified",
  "email_drafted",
  "contacted",
  "replied",
  "bounced",
  "not_interested",
  "do_not_contact",
] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export function statusLabel(s: string): string {
  return s.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export interface LeadListQuery {
  search?: string;
  filter?: string;
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
  include_deleted?: boolean;
  /** Admins: another user's id, to read their leads (read-only on the server too). */
  owner?: string;
}

export type BatchResult = S["BulkResult"];
export type UndoResult = S["UndoResult"];
export type SavedView = S["ViewDto"];
export type ViewInput = S["ViewInput"];
export type ImportDraft = S["ImportPreview"];
export type ImportPreviewRow = S["PreviewRow"];
export type ImportStatus = S["ImportStatus"];
export type ImportRun = S["RunInput"];

const enc = encodeURIComponent;

/** PATCH with If-Match; 409 answers carry `details.current` (the row as it is now). */
export async function patchLead(id: string, version: number, patch: LeadPatch): Promise<LeadDto> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "Content-Type": "application/json",
    "If-Match": `"${version}"`,
  };
  const t = csrfToken();
  if (t) headers[CSRF_HEADER] = t;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/leads/${enc(id)}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify(patch),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
  }
  if (!res.ok) throw await parseError(res);
  return (await res.json()) as LeadDto;
}

/** The current row from a 409 stale-write answer, or null. */
export function conflictCurrent(e: unknown): LeadDto | null {
  if (!(e instanceof ApiError) || e.status !== 409) return null;
  const cur = e.details?.current;
  if (!cur || typeof cur !== "object") return null;
  const c = cur as LeadDto;
  return typeof c.version === "number" && typeof c.id === "string" ? c : null;
}

export const leadsApi = {
  list: (q: LeadListQuery, signal?: AbortSignal) => http.get<LeadPage>("/leads", { query: { ...q }, signal }),
  /** `owner`: admins reading another user's lead (read-only). */
  get: (id: string, owner?: string | null) => http.get<LeadDto>(`/leads/${enc(id)}`, { query: { owner } }),
  create: (body: LeadPatch) => http.post<LeadDto>("/leads", body),
  patch: patchLead,
  remove: (id: string) => http.del<LeadDto>(`/leads/${enc(id)}`),
  restore: (id: string) => http.post<LeadDto>(`/leads/${enc(id)}/restore`),
  history: (id: string, owner?: string | null) => http.get<LeadEdit[]>(`/leads/${enc(id)}/history`, { query: { owner } }),
  /** The hashtags that found this lead's username, oldest first; `owner`: admins reading another user's lead. */
  hashtags: (id: string, owner?: string | null) => http.get<LeadHashtag[]>(`/leads/${enc(id)}/hashtags`, { query: { owner } }),
  bulk: (body: { ids?: string[]; filter?: unknown; search?: string; patch: LeadPatch }) =>
    http.post<BatchResult>("/leads/bulk", body),
  bulkDelete: (body: { ids?: string[]; filter?: unknown; search?: string }) =>
    http.post<BatchResult>("/leads/bulk-delete", body),
  undo: () => http.post<UndoResult>("/leads/undo"),
  redo: () => http.post<UndoResult>("/leads/redo"),
  /** `owner`: admins exporting another user's leads (recorded in the audit log). */
  /** `columns`: the visible ones in order, or "all"; `format: "excel"` for Excel (BOM, `;`); `view` names the file. */
  exportUrl: (q: { search?: string; filter?: string; sort?: string; columns: string[] | "all"; owner?: string; format?: "csv" | "excel"; view?: string }) => {
    const qs = new URLSearchParams();
    if (q.search) qs.set("search", q.search);
    if (q.filter) qs.set("filter", q.filter);
    if (q.sort) qs.set("sort", q.sort);
    qs.set("columns", q.columns === "all" ? "all" : q.columns.join(","));
    if (q.owner) qs.set("owner", q.owner);
    if (q.format) qs.set("format", q.format);
    if (q.view) qs.set("view", q.view);
    return `${API_BASE}/leads/export?${qs.toString()}`;
  },
};

export const viewsApi = {
  list: () => http.get<SavedView[]>("/views"),
  create: (v: ViewInput) => http.post<SavedView>("/views", v),
  update: (id: string, v: ViewInput) => http.put<SavedView>(`/views/${enc(id)}`, v),
  remove: (id: string) => http.del(`/views/${enc(id)}`),
};

export const importsApi = {
  upload: async (csv: string, filename?: string): Promise<ImportDraft> => {
    const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "text/csv" };
    const t = csrfToken();
    if (t) headers[CSRF_HEADER] = t;
    const qs = filename ? `?filename=${enc(filename)}` : "";
    const res = await fetch(`${API_BASE}/imports${qs}`, { method: "POST", headers, body: csv, credentials: "same-origin" });
    if (!res.ok) throw await parseError(res);
    return (await res.json()) as ImportDraft;
  },
  preview: (id: string, mapping: Array<string | null>) => http.post<ImportDraft>(`/imports/${enc(id)}/preview`, { mapping }),
  run: (id: string, body: ImportRun) => http.post<ImportStatus>(`/imports/${enc(id)}/run`, body),
  status: (id: string) => http.get<ImportStatus>(`/imports/${enc(id)}`),
  cancel: (id: string) => http.post<ImportStatus>(`/imports/${enc(id)}/cancel`),
};

export const productsApi = {
  list: () => http.get<ProductDto[]>("/products"),
  get: (id: string) => http.get<ProductDto>(`/products/${enc(id)}`),
  create: (b: ProductInput) => http.post<ProductDto>("/products", b),
  update: (id: string, b: ProductInput) => http.put<ProductDto>(`/products/${enc(id)}`, b),
  remove: (id: string) => http.del(`/products/${enc(id)}`),
};

export const promptsApi = {
  list: () => http.get<PromptDto[]>("/prompts"),
  get: (id: string) => http.get<PromptDto>(`/prompts/${enc(id)}`),
  create: (b: PromptInput) => http.post<PromptDto>("/prompts", b),
  update: (id: string, b: PromptInput) => http.put<PromptDto>(`/prompts/${enc(id)}`, b),
  remove: (id: string) => http.del(`/prompts/${enc(id)}`),
  versions: (id: string) => http.get<PromptVersion[]>(`/prompts/${enc(id)}/versions`),
  variables: (productId?: string | null) =>
    http.get<TemplateNames>("/prompts/variables", { query: { product_id: productId ?? undefined } }),
  preview: (b: { body: string; product_id?: string | null; lead_id?: string | null }) =>
    http.post<PreviewResponse>("/prompts/preview", b),
};

/** True when the error says the route does not exist on this server (feature not deployed yet). */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405) && (e.code === "not_found" || e.code.startsWith("http_"));
}

export const leadKeys = {
  all: ["leads"] as const,
  list: (q: unknown) => ["leads", "list", q] as const,
  one: (id: string) => ["leads", "one", id] as const,
  history: (id: string) => ["leads", "history", id] as const,
  hashtags: (id: string) => ["leads", "hashtags", id] as const,
  views: ["leads", "views"] as const,
  products: ["products"] as const,
  prompts: ["prompts"] as const,
  promptVersions: (id: string) => ["prompts", id, "versions"] as const,
  variables: (pid: string | null) => ["prompts", "variables", pid] as const,
};
