import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";
import { ToastProvider } from "../ui/Toasts";
import { ConfirmProvider } from "../ui/ConfirmDialog";

export interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  credentials?: RequestCredentials;
}

type Handler = (call: Call) => { status?: number; body?: unknown; headers?: Record<string, string> };

/** Stubs global fetch with handlers keyed by "METHOD /path" (query string ignored); records calls. */
export function mockFetch(handlers: Record<string, Handler | ReturnType<Handler>>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method ?? "GET").toUpperCase();
    const headers = { ...(init.headers as Record<string, string>) };
    const call: Call = {
      method,
      url,
      headers,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      credentials: init.credentials,
    };
    calls.push(call);
    const key = `${method} ${url.split("?")[0]}`;
    const h = handlers[key];
    if (!h) return new Response(JSON.stringify({ error: { code: "not_found", message: `no mock for ${key}`, details: null } }), { status: 404 });
    const r = typeof h === "function" ? h(call) : h;
    const status = r.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(r.body ?? null), {
      status,
      headers: { "Content-Type": "application/json", ...(r.headers ?? {}) },
    });
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

export function apiError(status: number, code: string, message = code, details: unknown = null) {
  return { status, body: { error: { code, message, details } } };
}

export function renderApp(
  ui: ReactElement,
  { route = "/", path = "*", me }: { route?: string; path?: string; me?: unknown } = {},
) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  if (me !== undefined) qc.setQueryData(["me"], me);
  const result = render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[route]}>
        <ToastProvider>
          <ConfirmProvider>
            <Routes>
              <Route path={path} element={ui} />
              <Route path="/" element={<div>HOME PAGE</div>} />
            </Routes>
          </ConfirmProvider>
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, qc };
}

export const ME = {
  id: "00000000-0000-0000-0000-000000000001",
  username: "admin",
  email: null,
  role: "admin" as const,
  active: true,
  two_factor_enabled: true,
  must_change_password: false,
  created_at: "2026-01-01T00:00:00Z",
  last_login_at: null,
};
