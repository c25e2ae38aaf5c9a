import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { authApi, qk } from "../../api/endpoints";
import { TextField } from "../../ui/Field";
import { PasswordRules } from "./PasswordRules";
import { checkPassword, DEFAULT_POLICY, passwordOk, serverOnlyRules } from "./passwordRules";

export function usePasswordPolicy() {
  return useQuery({ queryKey: qk.passwordPolicy, queryFn: authApi.passwordPolicy, staleTime: Infinity });
}

/** New password + repeat with the rules checked live; reports validity to the parent. */
export function NewPasswordFields({
  username,
  password,
  repeat,
  onPassword,
  onRepeat,
  errors,
  autoFocus,
}: {
  username: string;
  password: string;
  repeat: string;
  onPassword: (v: string) => void;
  onRepeat: (v: string) => void;
  errors?: string[];
  autoFocus?: boolean;
}) {
  const policy = usePasswordPolicy().data ?? DEFAULT_POLICY;
  const results = checkPassword(password, repeat, username, policy);
  const rulesId = useId();
  return (
    <>
      <TextField
        label="New password"
        type="password"
        name="new_password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => onPassword(e.target.value)}
        errors={errors}
        autoFocus={autoFocus}
        aria-controls={rulesId}
        required
      />
      <TextField
        label="Repeat new password"
        type="password"
        name="repeat_password"
        autoComplete="new-password"
        value={repeat}
        onChange={(e) => onRepeat(e.target.value)}
        required
      />
      <PasswordRules id={rulesId} results={results} extra={serverOnlyRules(policy)} />
    </>
  );
}

export function useNewPasswordValid(password: string, repeat: string, username: string): boolean {
  const policy = usePasswordPolicy().data ?? DEFAULT_POLICY;
  return passwordOk(checkPassword(password, repeat, username, policy));
}
