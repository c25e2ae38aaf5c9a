import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { isApiError } from "../../api/client";
import { meApi, qk } from "../../api/endpoints";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Card } from "../../ui/misc";
import { useToast } from "../../ui/Toasts";
import { NewPasswordFields, useNewPasswordValid } from "../auth/NewPasswordFields";
import { useCurrentUser } from "../auth/session";

export function PasswordSection() {
  const user = useCurrentUser();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const valid = useNewPasswordValid(password, repeat, user.username);
  const qc = useQueryClient();
  const toast = useToast();
  const m = useMutation({
    mutationFn: () => meApi.changePassword(current, password),
    onSuccess: () => {
      setCurrent("");
      setPassword("");
      setRepeat("");
      toast.success("Password changed. Your other sessions and API tokens were signed out.");
      void qc.invalidateQueries({ queryKey: qk.sessions });
      void qc.invalidateQueries({ queryKey: qk.tokens });
    },
  });
  const fe = fieldErrors(m.error);
  const showGeneral = m.error && !(isApiError(m.error, "validation_failed") && Object.keys(fe).length > 0);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid && current) m.mutate();
  };
  return (
    <Card title="Change password">
      <form className="stack" onSubmit={submit} noValidate>
        <FormError message={showGeneral ? (isApiError(m.error, "invalid_credentials") ? "Your current password is not right." : errorMessage(m.error)) : null} />
        <TextField
          label="Current password"
          type="password"
          name="current_password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          errors={fe.current_password}
          required
        />
        <NewPasswordFields
          username={user.username}
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
          errors={fe.new_password}
        />
        <div>
          <Button type="submit" variant="primary" loading={m.isPending} disabled={!valid || !current}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
