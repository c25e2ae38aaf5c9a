import type { ErrorBody, FieldError } from "./types";

export const API_BASE = "/api/v1";
export const CSRF_COOKIE = "leadgen_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A failed API call: HTTP status plus the stable error code from `{"error":{code,message,details}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | null;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** `details.fields` as a map of field name → messages (empty when absent). */
  get fieldErrors(): Record<string, string[]> {
    const fields = this.details?.fields;
    const out: Record<string, string[]> = {};
    const entries = fields && typeof fields === "object" ? Object.entries(fields as Record<string, unknown>) : [];
    for (const [name, errs] of entries) {
      if (Array.isArray(errs)) {
        out[name] = errs.map((e) =>
          typeof e === "string" ? e : String((e as FieldError)?.message ?? (e as FieldError)?.code ?? e),
        );
      } else if (typeof errs === "string") {
        out[name] = [errs];
      }
    }
    // A single `details.field` (400/409) names the field the message is about.
    const single = this.details?.field;
    if (typeof single === "string" && !out[single]) out[single] = [this.message];
    return out;
  }

  /** Seconds to wait for 423 account_locked / 429 rate_limited, when known. */
  get retryAfterSecs(): number | null {
    const v = this.details?.retry_after_secs;
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  }
}

export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/** Reads a cookie by name from `document.cookie`. */
export function readCookie(name: string, source: string = typeof document !== "undefined" ? document.cookie : ""): string | null {
  for (const part of source.split(";")) {
    const idx = part.indexOf("=");
    if (idx < 0) continue;
    if (part.slice(0, idx).trim() === name) {
      const raw = part.slice(idx + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

// The login responses also return the CSRF token; kept as a fallback when the cookie is not readable yet.
let csrfFallback: string | null = null;
export function rememberCsrfToken(token: string | null | undefined): void {
  if (token) csrfFallback = token;
}
export function csrfToken(): string | null {
  return readCookie(CSRF_COOKIE) ?? csrfFallback;
}

/** Turns a non-2xx response into an ApiError, tolerating bodies that are not the standard shape. */
export async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const err = (body as ErrorBody | null)?.error;
  if (err && typeof err.code === "string") {
    const details = err.details && typeof err.details === "object" ? err.details : null;
    const apiErr = new ApiError(res.status, err.code, err.message || defaultMessage(res.status), details);
    if (apiErr.retryAfterSecs === null) {
      const header = Number(res.headers.get("Retry-After"));
      if (Number.isFinite(header) && header > 0) {
        return new ApiError(res.status, err.code, apiErr.message, { ...(details ?? {}), retry_after_secs: header });
      }
    }
    return apiErr;
  }
  return new ApiError(res.status, res.status >= 500 ? "internal" : "http_" + res.status, defaultMessage(res.status));
}

function defaultMessage(status: number): string {
  if (status >= 500) return "The server had a problem. Please try again.";
  if (status === 404) return "Not found.";
  if (status === 401) return "Please sign in.";
  if (status === 403) return "You don't have access to this.";
  return `Request failed (${status}).`;
}

export interface RequestOptions {
  signal?: AbortSignal;
  query?: Record<string, string | number | boolean | null | undefined>;
}

/** The one fetch wrapper: same-origin cookies, CSRF header on unsafe methods, typed errors. */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const m = method.toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(m)) {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let url = path.startsWith("/") && !path.startsWith(API_BASE) && !path.startsWith("/health") ? API_BASE + path : path;
  if (opts.query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: m,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
  }
  if (!res.ok) throw await parseError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("PUT", path, body ?? {}, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("PATCH", path, body ?? {}, opts),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, undefined, opts),
};
