// Provider settings (admins), a user's own AI keys, Gmail mailboxes, provider usage and the instance description
// (sandbox mode). Types from the generated schema.
import { http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type ProviderSettings = S["ProviderSettings"];
export type ProviderView = S["ProviderView"];
export type ProviderFieldView = S["ProviderFieldView"];
export type ProviderSettingChange = S["ProviderSettingChange"];
export type ConnectionTest = S["ConnectionTest"];
export type Instance = S["Instance"];
export type MailboxList = S["MailboxList"];
export type MailboxView = S["MailboxView"];
export type MailboxConsent = S["MailboxConsent"];
export type ProviderUsage = S["ProviderUsage"];
export type UsageItem = S["UsageItem"];

const enc = encodeURIComponent;

/** Admin settings live at /admin/providers, a user's own AI keys at /me/providers: the same shapes. */
export type Scope = "admin" | "me";

export const providersApi = {
  instance: () => http.get<Instance>("/instance"),
  list: (scope: Scope) => http.get<ProviderSettings>(`/${scope}/providers`),
  update: (scope: Scope, settings: ProviderSettingChange[]) => http.put<ProviderSettings>(`/${scope}/providers`, { settings }),
  test: (scope: Scope, provider: string) => http.post<ConnectionTest>(`/${scope}/providers/${enc(provider)}/test`),
  mailboxes: () => http.get<MailboxList>("/me/mailboxes"),
  connectMailbox: () => http.post<MailboxConsent>("/me/mailboxes/connect"),
  disconnectMailbox: (id: string) => http.del(`/me/mailboxes/${enc(id)}`),
  usage: (since: string | undefined, signal?: AbortSignal) =>
    http.get<ProviderUsage>("/admin/providers/usage", { query: { since }, signal }),
};

export const providerKeys = {
  instance: ["instance"] as const,
  settings: (scope: Scope) => ["providers", scope] as const,
  mailboxes: ["me", "mailboxes"] as const,
  usage: (since: string | undefined) => ["admin", "providers", "usage", since ?? "30d"] as const,
};

/** What the Connections page says after Google sent the browser back (`?mailbox=…` / `?mailbox_error=…`). */
export function consentOutcome(params: URLSearchParams): { ok: boolean; text: string } | null {
  if (params.get("mailbox") === "connected") {
    const address = params.get("address");
    return { ok: true, text: address ? `${address} is connected.` : "The mailbox is connected." };
  }
  const code = params.get("mailbox_error");
  if (!code) return null;
  const text: Record<string, string> = {
    state_unknown: "This consent link is not known. Start again with Connect Gmail.",
    state_expired: "The consent took longer than 10 minutes. Start again with Connect Gmail.",
    state_used: "This consent link was used already. Start again with Connect Gmail.",
    access_denied: "Google access was not granted, so no mailbox was connected.",
    consent_failed: "Google did not finish the consent. Try again.",
    not_configured: "Gmail cannot be connected yet: an administrator has to set the Google OAuth client.",
    no_refresh_token: "Google did not grant offline access. Remove leadgen from your Google account's apps and connect again.",
    provider_auth_failed: "Google refused leadgen's OAuth client. Ask an administrator to check it under Settings → Providers.",
    provider_token_expired: "Google says the consent code has expired. Try again.",
  };
  return { ok: false, text: `${text[code] ?? "The mailbox could not be connected."} (${code})` };
}

/** `12345` tokens → "12,345 tokens"; units of a usage row in words. */
export function unitsText(units: { unit: string; count: number }[]): string {
  if (units.length === 0) return "—";
  return units.map((u) => `${u.count.toLocaleString("en-US")} ${u.unit}`).join(", ");
}

/** Milliseconds as a short duration: 850 ms, 12.3 s, 4.1 min, 2.0 h. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
