// Instagram accounts (issue 18): my accounts with their vault view, members, the official link (Instagram Login),
// credential links on the session sidecar, the challenge inbox, sign in with Instagram and the admin list.
import { http } from "../../api/client";
import type { components } from "../../api/schema";

type S = components["schemas"];
export type AccountView = S["AccountView"];
export type AccountList = S["AccountList"];
export type Vault = S["Vault"];
export type LinkKind = S["LinkKind"];
export type MemberRole = S["MemberRole"];
export type MemberView = S["MemberView"];
export type MemberList = S["MemberList"];
export type SessionTest = S["SessionTest"];
export type Consent = S["Consent"];
export type CredentialLink = S["CredentialLink"];
export type ChallengeView = S["ChallengeView"];
export type ChallengeList = S["ChallengeList"];
export type LinkOutcome = S["LinkOutcome"];
export type AdminAccount = S["AdminAccount"];
export type AdminAccountList = S["AdminAccountList"];
export type SessionStatus = S["IgSessionStatus"];

const enc = encodeURIComponent;

export const accountsApi = {
  list: () => http.get<AccountList>("/accounts"),
  get: (id: string) => http.get<AccountView>(`/accounts/${enc(id)}`),
  update: (id: string, patch: { primary?: boolean; proxy?: string }) => http.patch<AccountView>(`/accounts/${enc(id)}`, patch),
  unlink: (id: string) => http.del(`/accounts/${enc(id)}`),
  startOfficial: () => http.post<Consent>("/accounts/oauth/start"),
  linkCredentials: (body: CredentialLink) => http.post<LinkOutcome>("/accounts/credentials", body),
  members: (id: string) => http.get<MemberList>(`/accounts/${enc(id)}/members`),
  addMember: (id: string, username: string, role: MemberRole) =>
    http.post<MemberView>(`/accounts/${enc(id)}/members`, { username, role }),
  setMemberRole: (id: string, userId: string, role: MemberRole) =>
    http.patch<MemberList>(`/accounts/${enc(id)}/members/${enc(userId)}`, { role }),
  removeMember: (id: string, userId: string) => http.del(`/accounts/${enc(id)}/members/${enc(userId)}`),
  testSession: (id: string) => http.post<SessionTest>(`/accounts/${enc(id)}/test-session`),
  challenges: () => http.get<ChallengeList>("/challenges"),
  answer: (id: string, code: string) => http.post<LinkOutcome>(`/challenges/${enc(id)}`, { code }),
  startSignin: () => http.post<Consent>("/auth/instagram/start"),
  adminList: () => http.get<AdminAccountList>("/admin/accounts"),
  adminLogout: (id: string) => http.post<AdminAccount>(`/admin/accounts/${enc(id)}/logout-session`),
};

export const accountKeys = {
  all: ["accounts"] as const,
  list: ["accounts", "list"] as const,
  one: (id: string) => ["accounts", "one", id] as const,
  members: (id: string) => ["accounts", "members", id] as const,
  challenges: ["accounts", "challenges"] as const,
  admin: ["accounts", "admin"] as const,
};

/** The open challenges are polled this often (and refetched when the window regains focus). */
export const CHALLENGE_POLL_MS = 10_000;

/** The selected account: the API's primary one (the first of the list otherwise), or null without accounts. */
export function selectedAccount<T extends Pick<AccountView, "is_primary">>(items: T[] | undefined): T | null {
  if (!items || items.length === 0) return null;
  return items.find((a) => a.is_primary) ?? items[0];
}

export const LINK_KIND_LABEL: Record<LinkKind, string> = { official: "official", session: "session" };

/** "official + session", "official", "session" or "not linked". */
export function linkKindsText(kinds: readonly string[]): string {
  if (kinds.length === 0) return "not linked";
  return kinds.join(" + ");
}

export type Tone = "neutral" | "green" | "red" | "amber" | "blue";

/** One word for how healthy an account is, with a tone: what the list, the switcher and the admin page show. */
export function health(v: Pick<Vault, "needs_reconnect" | "session_status" | "link_kinds" | "last_error_code">): {
  label: string;
  tone: Tone;
  hint: string;
} {
  if (v.needs_reconnect) {
    return { label: "reconnect needed", tone: "red", hint: "The Instagram token stopped working: connect the account again." };
  }
  switch (v.session_status) {
    case "pending":
      return { label: "code needed", tone: "amber", hint: "Instagram asked for a code: answer it in the challenge inbox." };
    case "invalid":
      return { label: "session invalid", tone: "red", hint: "Instagram wants a new login: add the account by login again." };
    case "logged_out":
      return { label: "logged out", tone: "amber", hint: "An administrator ended the session: log in again." };
    default:
      break;
  }
  if (v.link_kinds.length === 0) return { label: "not linked", tone: "neutral", hint: "Neither link is set." };
  if (v.last_error_code) return { label: "warning", tone: "amber", hint: `Last error: ${v.last_error_code}` };
  return { label: "healthy", tone: "green", hint: "Every link works." };
}

/** `3 d 4 h`, `5 h 12 min`, `42 min`, `just now` — the age of a session. */
export function ageText(secs: number | null | undefined): string {
  if (secs === null || secs === undefined) return "—";
  if (secs < 60) return "just now";
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h % 24} h`;
}

/** Days until a token expires (negative when past), or null without a token. */
export function daysLeft(expiresAt: string | null | undefined, now: Date = new Date()): number | null {
  if (!expiresAt) return null;
  const t = new Date(expiresAt).getTime();
  if (Number.isNaN(t)) return null;
  return Math.floor((t - now.getTime()) / 86_400_000);
}

const OAUTH_ERRORS: Record<string, string> = {
  state_unknown: "This Instagram link is not known. Start again with Connect with Instagram.",
  state_expired: "The Instagram consent took longer than 10 minutes. Start again.",
  state_used: "This Instagram link was used already. Start again.",
  state_other_user: "This Instagram consent was started in another browser or by another user. Start again here.",
  access_denied: "Instagram access was not granted, so nothing was linked.",
  consent_failed: "Instagram did not finish the consent. Try again.",
  not_configured: "Instagram cannot be used yet: an administrator has to set the Instagram app (Settings → Providers).",
  forbidden: "You are a viewer of this Instagram account: only its owner or an admin can link it.",
  linked_elsewhere: "This Instagram account is linked by another user: ask its owner to add you as a member.",
  provider_auth_failed: "Instagram refused leadgen's app. Ask an administrator to check it under Settings → Providers.",
  provider_token_expired: "Instagram says the consent code has expired. Try again.",
  instagram_unknown:
    "No leadgen user has linked this Instagram account. Sign in with your username and password, then link it on the Accounts page.",
  user_inactive: "The leadgen user of this Instagram account is deactivated.",
  account_locked: "Too many failed attempts on this user. Try again later.",
};

/** The message of an error code the Instagram callback sent back (`?error=…`), with the code. */
export function oauthErrorText(code: string): string {
  return `${OAUTH_ERRORS[code] ?? "Instagram could not be linked."} (${code})`;
}

/** What the return from Instagram's consent carried on the Accounts page (`?linked=<id>` or `?error=<code>`). */
export function linkOutcome(params: URLSearchParams): { ok: true; accountId: string } | { ok: false; text: string } | null {
  const linked = params.get("linked");
  if (linked) return { ok: true, accountId: linked };
  const error = params.get("error");
  if (error) return { ok: false, text: oauthErrorText(error) };
  return null;
}

/** The sign-in callback's pending step (`/login#instagram_pending=…&status=…`), or null. */
export function instagramPending(hash: string): { pending_token: string; status: string } | null {
  const p = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const token = p.get("instagram_pending");
  const status = p.get("status");
  if (!token || !status) return null;
  return { pending_token: token, status };
}

/** What a member may do on an account. */
export function canManage(role: string | undefined): boolean {
  return role === "owner" || role === "admin";
}

const CHALLENGE_KIND: Record<string, string> = {
  two_factor: "Two-factor code",
  challenge: "Security check",
};
export function challengeKindText(kind: string): string {
  return CHALLENGE_KIND[kind] ?? kind;
}
