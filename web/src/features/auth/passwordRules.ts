import type { PasswordPolicy } from "../../api/types";

export interface RuleResult {
  code: string;
  message: string;
  ok: boolean;
}

export const DEFAULT_POLICY: PasswordPolicy = { min_length: 12, max_bytes: 72, rules: [] };

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** The password rules the browser can check live; the server also rejects common passwords. */
export function checkPassword(
  password: string,
  repeat: string,
  username: string,
  policy: Pick<PasswordPolicy, "min_length" | "max_bytes"> = DEFAULT_POLICY,
): RuleResult[] {
  const chars = [...password].length;
  const bytes = utf8Length(password);
  return [
    { code: "too_short", message: `At least ${policy.min_length} characters`, ok: chars >= policy.min_length },
    { code: "too_long", message: `At most ${policy.max_bytes} bytes`, ok: bytes > 0 && bytes <= policy.max_bytes },
    {
      code: "same_as_username",
      message: "Not the same as your username",
      ok: password.length > 0 && password.trim().toLowerCase() !== username.trim().toLowerCase(),
    },
    { code: "mismatch", message: "Both entries match", ok: password.length > 0 && password === repeat },
  ];
}

export function passwordOk(results: RuleResult[]): boolean {
  return results.every((r) => r.ok);
}

const LOCAL = /short|min|long|max|byte|username|match|repeat/i;

/** Server-side rules the browser cannot check (e.g. the common-password list), shown as hints. */
export function serverOnlyRules(policy: PasswordPolicy | undefined): string[] {
  if (!policy) return [];
  return policy.rules.filter((r) => !LOCAL.test(r.code)).map((r) => r.message);
}
