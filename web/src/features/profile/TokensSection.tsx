import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound, Plus } from "lucide-react";
import { meApi, qk } from "../../api/endpoints";
import type { CreatedToken, TokenScope } from "../../api/types";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { CopyButton } from "../../ui/CopyButton";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState } from "../../ui/misc";
import { Modal } from "../../ui/Modal";
import { formatDateTime } from "../../ui/format";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";

export function TokensSection() {
  const tokens = useQuery({ queryKey: qk.tokens, queryFn: meApi.tokens });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const revoke = useMutation({
    mutationFn: (id: string) => meApi.revokeToken(id),
    onSuccess: () => {
      toast.success("Token revoked.");
      void qc.invalidateQueries({ queryKey: qk.tokens });
    },
    onError: (e) => toast.error(e),
  });

  return (
    <Card
      title="Personal API tokens"
      actions={
        <Button size="sm" variant="primary" icon={<Plus size={14} aria-hidden />} onClick={() => setCreating(true)}>
          New token
        </Button>
      }
    >
      <p className="muted small">
        Scripts send a token as <code>Authorization: Bearer lg_pat_…</code>. Changing your password or logging out
        everywhere revokes all tokens.
      </p>
      {tokens.isPending ? (
        <PageSpinner />
      ) : tokens.isError ? (
        <FormError message={errorMessage(tokens.error)} />
      ) : tokens.data.length === 0 ? (
        <EmptyState icon={<KeyRound size={24} />} title="No API tokens yet">
          Create one with <strong>New token</strong> to call the API from a script.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Prefix</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row">
                  <td>{t.name}</td>
                  <td>
                    <Badge tone={t.scope === "read_write" ? "amber" : "neutral"}>
                      {t.scope === "read_write" ? "read & write" : "read"}
                    </Badge>
                  </td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td className="num">{formatDateTime(t.created_at)}</td>
                  <td className="num">{t.expires_at ? formatDateTime(t.expires_at) : "never"}</td>
                  <td className="num">{formatDateTime(t.last_used_at)}</td>
                  <td className="actions">
                    <Button
                      size="sm"
                      variant="danger"
                      loading={revoke.isPending && revoke.variables === t.id}
                      aria-label={`Revoke token ${t.name}`}
                      onClick={async () => {
                        const ok = await confirm({
                          title: `Revoke “${t.name}”?`,
                          message: "Scripts using this token stop working immediately.",
                          confirmLabel: "Revoke token",
                        });
                        if (ok) revoke.mutate(t.id);
                      }}
                    >
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateTokenDialog
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
          }}
        />
      )}
      {created && (
        <Modal title="Copy your new token" onClose={() => setCreated(null)} footer={<Button variant="primary" onClick={() => setCreated(null)}>Done</Button>}>
          <div className="stack">
            <p>
              This is the only time the token <strong>{created.token.name}</strong> is shown. Copy it now.
            </p>
            <code className="secret" data-testid="token-secret">
              {created.secret}
            </code>
            <div>
              <CopyButton text={created.secret} label="Copy token" />
            </div>
          </div>
        </Modal>
      )}
    </Card>
  );
}

function CreateTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: CreatedToken) => void }) {
  const user = useCurrentUser();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<TokenScope>("read");
  const [days, setDays] = useState("");
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () =>
      meApi.createToken({ name: name.trim(), scope, expires_in_days: days.trim() === "" ? null : Number(days) }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: qk.tokens });
      onCreated(c);
    },
  });
  const fe = fieldErrors(m.error);
  const daysValid = days.trim() === "" || (/^\d+$/.test(days.trim()) && Number(days) >= 1);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && daysValid) m.mutate();
  };
  return (
    <Modal title="New API token" onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <FormError message={m.error && Object.keys(fe).length === 0 ? errorMessage(m.error) : null} />
        <TextField
          label="Name"
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={fe.name}
          placeholder="e.g. nightly export"
          data-autofocus
          required
        />
        <SelectField
          label="Scope"
          name="scope"
          value={scope}
          onChange={(e) => setScope(e.target.value as TokenScope)}
          errors={fe.scope}
          hint={user.role === "viewer" ? "Viewers can only create read tokens." : undefined}
        >
          <option value="read">read</option>
          {user.role !== "viewer" && <option value="read_write">read &amp; write</option>}
        </SelectField>
        <TextField
          label="Expires after (days, optional)"
          name="expires_in_days"
          inputMode="numeric"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          errors={fe.expires_in_days ?? (daysValid ? undefined : ["Enter a whole number of days, or leave empty"])}
          hint="Leave empty for a token that does not expire."
        />
        <div className="row gap end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" loading={m.isPending} disabled={!name.trim() || !daysValid}>
            Create token
          </Button>
        </div>
      </form>
    </Modal>
  );
}
