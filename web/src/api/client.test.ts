import { describe, expect, it } from "vitest";
import { ApiError, http, readCookie } from "./client";
import { apiError, mockFetch } from "../test/utils";

async function fail(p: Promise<unknown>): Promise<ApiError> {
  return p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: ApiError) => e,
  );
}

describe("api client", () => {
  it("sends the CSRF cookie value as X-CSRF-Token on unsafe methods only", async () => {
    document.cookie = "leadgen_csrf=tok%2B123; path=/";
    const calls = mockFetch({
      "GET /api/v1/me": { body: { ok: 1 } },
      "POST /api/v1/me/tokens": { body: { ok: 2 } },
      "PUT /api/v1/admin/policy": { body: { ok: 3 } },
      "PATCH /api/v1/me": { body: { ok: 4 } },
      "DELETE /api/v1/me/sessions/x": { status: 204 },
    });
    await http.get("/me");
    await http.post("/me/tokens", { name: "a" });
    await http.put("/admin/policy", { require_2fa: true });
    await http.patch("/me", { email: null });
    await expect(http.del("/me/sessions/x")).resolves.toBeUndefined();
    expect(calls[0].headers["X-CSRF-Token"]).toBeUndefined();
    for (const c of calls.slice(1)) expect(c.headers["X-CSRF-Token"]).toBe("tok+123");
    for (const c of calls) expect(c.credentials).toBe("same-origin");
    expect(calls[1].body).toEqual({ name: "a" });
    expect(calls[1].headers["Content-Type"]).toBe("application/json");
  });

  it("parses the error shape into a typed ApiError with field errors", async () => {
    mockFetch({
      "POST /api/v1/me/password": apiError(422, "validation_failed", "Invalid input", {
        fields: { new_password: [{ code: "too_short", message: "At least 12 characters" }] },
      }),
    });
    const err = await fail(http.post("/me/password", {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe("validation_failed");
    expect(err.fieldErrors).toEqual({ new_password: ["At least 12 characters"] });
  });

  it("exposes retry_after_secs, falling back to the Retry-After header", async () => {
    mockFetch({
      "POST /api/v1/auth/login": () => ({
        status: 429,
        body: { error: { code: "rate_limited", message: "Slow down", details: null } },
        headers: { "Retry-After": "120" },
      }),
      "POST /api/v1/auth/token": apiError(423, "account_locked", "Locked", { retry_after_secs: 60 }),
    });
    const a = await fail(http.post("/auth/login", {}));
    expect(a.code).toBe("rate_limited");
    expect(a.retryAfterSecs).toBe(120);
    const b = await fail(http.post("/auth/token", {}));
    expect(b.retryAfterSecs).toBe(60);
  });

  it("maps a single details.field (409) to a field error", async () => {
    mockFetch({ "POST /api/v1/admin/users": apiError(409, "conflict", "Username taken", { field: "username" }) });
    const err = await fail(http.post("/admin/users", {}));
    expect(err.fieldErrors).toEqual({ username: ["Username taken"] });
  });

  it("tolerates non-JSON error bodies and network failures", async () => {
    const { vi } = await import("vitest");
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502 })));
    const err = await fail(http.get("/me"));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("internal");
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const net = await fail(http.get("/me"));
    expect(net.code).toBe("network");
  });

  it("adds query parameters, skipping empty ones", async () => {
    const calls = mockFetch({ "GET /api/v1/admin/users": { body: { items: [] } } });
    await http.get("/admin/users", { query: { q: "ann", role: "", page: 2, active: undefined } });
    expect(calls[0].url).toBe("/api/v1/admin/users?q=ann&page=2");
  });

  it("reads cookies by exact name", () => {
    expect(readCookie("leadgen_csrf", "a=1; leadgen_csrf_x=2; leadgen_csrf=abc")).toBe("abc");
    expect(readCookie("missing", "a=1")).toBeNull();
  });
});
