// API types used by the SPA: aliases of the schemas generated from ../openapi.yaml into schema.d.ts
// (`npm run gen:api`; `npm run check:api` fails when schema.d.ts is stale). The rest of the code imports
// API types only from this file, so the generated file stays the single source.
import type { components } from "./schema";

type S = components["schemas"];

export type Role = S["Role"];
export type TokenScope = S["TokenScope"];
export type LoginStatus = S["LoginStatus"];
export type ErrorCode = S["ErrorCode"];

export type Me = S["Me"];
export type LoginStep = S["LoginStep"];
export type LoginRequest = S["LoginRequest"];
export type LoginPasswordRequest = S["PendingPasswordRequest"];
export type LoginTotpRequest = S["PendingTotpRequest"];
export type PendingTokenRequest = S["PendingTokenRequest"];
export type LoginTotpConfirmRequest = S["PendingConfirmRequest"];
export type TotpSetup = S["TotpSetup"];
export type PasswordRule = S["Rule"];
export type PasswordPolicy = S["PasswordPolicy"];

export type TwoFactorStatus = S["TwoFactorStatus"];
export type BackupCodes = S["BackupCodes"];
export type SessionInfo = S["SessionInfo"];
export type ApiToken = S["ApiTokenInfo"];
export type CreateTokenRequest = S["CreateApiToken"];
export type CreatedToken = S["CreatedApiToken"];
export type ChangePasswordRequest = S["ChangePassword"];
export type UpdateMeRequest = S["UpdateMe"];

export type AdminUser = S["AdminUser"];
export type AdminUserPage = S["UserPage"];
export type CreateUserRequest = S["CreateUser"];
export type CreatedUser = S["CreatedUser"];
export type UpdateUserRequest = S["UpdateUser"];
export type TemporaryPassword = S["TemporaryPassword"];
export type Policy = S["Policy"];
export type AuditEntry = S["AuditItem"];
export type AuditPage = S["AuditPage"];
export type ErrorBody = S["ErrorBody"];

/** One entry of `details.fields[name]` in a 422 validation_failed error (the spec leaves details open). */
export interface FieldError {
  code: string;
  message: string;
}
