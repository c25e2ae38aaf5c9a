// One function per API endpoint used by the SPA. Hooks live with their feature; query keys live here.
import { http, rememberCsrfToken } from "./client";
import type {
  AdminUser,
  AdminUserPage,
  ApiToken,
  AuditPage,
  BackupCodes,
  CreateTokenRequest,
  CreateUserRequest,
  CreatedToken,
  CreatedUser,
  LoginStep,
  Me,
  PasswordPolicy,
  Policy,
  Role,
  SessionInfo,
  TemporaryPassword,
  TotpSetup,
  TwoFactorStatus,
  UpdateUserRequest,
} from "./types";

export const qk = {
  me: ["me"] as const,
  passwordPolicy: ["password-policy"] as const,
  twoFactor: ["me", "2fa"] as const,
  sessions: ["me", "sessions"] as const,
  tokens: ["me", "tokens"] as const,
  adminUsers: (params: AdminUserQuery) => ["admin", "users", params] as const,
  adminUsersAll: ["admin", "users"] as const,
  adminUser: (id: string) => ["admin", "user", id] as const,
  policy: ["admin", "policy"] as const,
  audit: (params: AuditQuery) => ["admin", "audit", params] as const,
  auditActions: ["admin", "audit", "actions"] as const,
};

function step(p: Promise<LoginStep>): Promise<LoginStep> {
  return p.then((s) => {
    rememberCsrfToken(s.csrf_token);
    return s;
  });
}

export const authApi = {
  login: (username: string, password: string) => step(http.post<LoginStep>("/auth/login", { username, password })),
  changePassword: (pending_token: string, new_password: string) =>
    step(http.post<LoginStep>("/auth/login/password", { pending_token, new_password })),
  totp: (pending_token: string, code: { code?: string; backup_code?: string }) =>
    step(http.post<LoginStep>("/auth/login/totp", { pending_token, ...code })),
  totpSetup: (pending_token: string) => http.post<TotpSetup>("/auth/login/totp-setup", { pending_token }),
  totpSetupConfirm: (pending_token: string, code: string) =>
    step(http.post<LoginStep>("/auth/login/totp-setup/confirm", { pending_token, code })),
  logout: () => http.post<void>("/auth/logout"),
  passwordPolicy: () => http.get<PasswordPolicy>("/auth/password-policy"),
};

export const meApi = {
  get: () => http.get<Me>("/me"),
  update: (email: string | null) => http.patch<Me>("/me", { email }),
  changePassword: (current_password: string, new_password: string) =>
    http.post<void>("/me/password", { current_password, new_password }),
  twoFactor: () => http.get<TwoFactorStatus>("/me/2fa"),
  setup2fa: () => http.post<TotpSetup>("/me/2fa/setup"),
  confirm2fa: (code: string) => http.post<BackupCodes>("/me/2fa/setup/confirm", { code }),
  regenerateBackupCodes: (code: string) => http.post<BackupCodes>("/me/2fa/backup-codes", { code }),
  sessions: () => http.get<SessionInfo[]>("/me/sessions"),
  revokeSession: (id: string) => http.del(`/me/sessions/${encodeURIComponent(id)}`),
  logoutEverywhere: () => http.post<void>("/me/logout-everywhere"),
  tokens: () => http.get<ApiToken[]>("/me/tokens"),
  createToken: (body: CreateTokenRequest) => http.post<CreatedToken>("/me/tokens", body),
  revokeToken: (id: string) => http.del(`/me/tokens/${encodeURIComponent(id)}`),
};

export interface AdminUserQuery {
  q?: string;
  role?: Role | "";
  active?: "true" | "false" | "";
  page?: number;
  per_page?: number;
}
export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
  page?: number;
  per_page?: number;
}

export const adminApi = {
  users: (params: AdminUserQuery, signal?: AbortSignal) =>
    http.get<AdminUserPage>("/admin/users", { query: { ...params }, signal }),
  user: (id: string) => http.get<AdminUser>(`/admin/users/${encodeURIComponent(id)}`),
  createUser: (body: CreateUserRequest) => http.post<CreatedUser>("/admin/users", body),
  updateUser: (id: string, body: UpdateUserRequest) =>
    http.patch<AdminUser>(`/admin/users/${encodeURIComponent(id)}`, body),
  deleteUser: (id: string) => http.del(`/admin/users/${encodeURIComponent(id)}`),
  resetPassword: (id: string) =>
    http.post<TemporaryPassword>(`/admin/users/${encodeURIComponent(id)}/reset-password`),
  reset2fa: (id: string) => http.post<void>(`/admin/users/${encodeURIComponent(id)}/reset-2fa`),
  revokeSessions: (id: string) => http.post<void>(`/admin/users/${encodeURIComponent(id)}/revoke-sessions`),
  policy: () => http.get<Policy>("/admin/policy"),
  setPolicy: (body: Policy) => http.put<Policy>("/admin/policy", body),
  audit: (params: AuditQuery, signal?: AbortSignal) =>
    http.get<AuditPage>("/admin/audit", { query: { ...params }, signal }),
  auditActions: () => http.get<string[]>("/admin/audit/actions"),
};
