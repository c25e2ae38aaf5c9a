import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { meApi, qk } from "../../api/endpoints";
import { fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { TextField } from "../../ui/Field";
import { Card } from "../../ui/misc";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";

export function AccountSection() {
  const user = useCurrentUser();
  const [email, setEmail] = useState(user.email ?? "");
  const qc = useQueryClient();
  const toast = useToast();
  const m = useMutation({
    mutationFn: (v: string | null) => meApi.update(v),
    onSuccess: (me) => {
      qc.setQueryData(qk.me, me);
      toast.success("Email saved.");
    },
    onError: (e) => toast.error(e),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate(email.trim() === "" ? null : email.trim());
  };
  const unchanged = (user.email ?? "") === email.trim();
  return (
    <Card title="Account">
      <form className="stack" onSubmit={submit}>
        <dl className="facts compact">
          <div>
            <dt>Username</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{user.role}</dd>
          </div>
        </dl>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          errors={fieldErrors(m.error).email}
          hint="Used for password reset links once mail is configured."
        />
        <div>
          <Button type="submit" loading={m.isPending} disabled={unchanged}>
            Save email
          </Button>
        </div>
      </form>
    </Card>
  );
}
