import { useEffect, useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";

import { Eye, KeyRound, LogOut, Plus, ShieldOff, Trash2, UserCheck, UserX, Users } from "lucide-react";
import { adminApi, qk, type AdminUserQuery } from "../../api/endpoints";
import type { AdminUser, CreatedUser, Role } from "../../api/types";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { CopyButton } from "../../ui/CopyButton";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { Modal } from "../../ui/Modal";
import { formatDateTime } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import "../../styles/admin.css";
import { useFilterParams } from "../../lib/useFilterParams";

const PER_PAGE = 50;
const ROLES: Role[] = ["admin", "user", "viewer"];

interface Secret {
  title: string;
  intro: string;
  password: string;
}

export default function UsersPage() {
  const me = useCurrentUser();
  const [params, update] = useFilterParams();
  const qParam = params.get("q") ?? "";
  const [search, setSearch] = useState(qParam);
  const debounced = useDebounced(search, 300);
  const role = (params.get("role") ?? "") as Role | "";
  const active = (params.get("active") ?? "") as "" | "true" | "false";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Secret | null>(null);

  useEffect(() => {
    if (debounced !== qParam) update({ q: debounced });
  }, [debounced]);

  const query: AdminUserQuery = { q: qParam || undefined, role: role || undefined, active: active || undefined, page, per_page: PER_PAGE };
  const users = useQuery({
    queryKey: qk.adminUsers(query),
    queryFn: ({ signal }) => adminApi.users(query, signal),
    placeholderData: keepPreviousData,
  });
  const filtered = !!(qParam || role || active);

  return (
    <div className="page">
      <PageHeader
        title="Users"
        description="Everyone who can sign in to leadgen."
        actions={
          <Button variant="primary" icon={<Plus size={14} aria-hidden />} onClick={() => setCreating(true)}>
            New user
          </Button>
        }
      />
      <Card>
        <div className="filters">
          <TextField
            label="Search"
            name="q"
            type="search"
            placeholder="username or email"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <SelectField label="Role" name="role" value={role} onChange={(e) => update({ role: e.target.value })}>
            <option value="">All roles</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <SelectField label="Status" name="active" value={active} onChange={(e) => update({ active: e.target.value })}>
            <option value="">Active and inactive</option>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
          </SelectField>
        </div>
        {users.isPending ? (
          <PageSpinner />
        ) : users.isError ? (
          <FormError message={errorMessage(users.error)} />
        ) : users.data.items.length === 0 ? (
          <EmptyState icon={<Users size={24} />} title={filtered ? "No users match" : "No users yet"}>
            {filtered ? "Try another search or clear the filters." : "Create the first one with New user."}
          </EmptyState>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table users-table stack" aria-busy={users.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                    <th scope="col">2FA</th>
                    <th scope="col" className="num">Sessions</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {users.data.items.map((u) => (
                    <UserRow key={u.id} user={u} isSelf={u.id === me.id} onSecret={setSecret} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={users.data.page} perPage={users.data.per_page} total={users.data.total} onPage={(p) => update({ page: String(p) }, false)} />
          </>
        )}
      </Card>
      {creating && (
        <CreateUserDialog
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            if (c.temporary_password) {
              setSecret({
                title: `User ${c.user.username} created`,
                intro: "Give them this temporary password. It is shown only now; they must change it when they first sign in.",
                password: c.temporary_password,
              });
            }
          }}
        />
      )}
      {secret && (
        <Modal title={secret.title} onClose={() => setSecret(null)} dismissable={false} footer={<Button variant="primary" onClick={() => setSecret(null)}>Done</Button>}>
          <div className="stack">
            <p>{secret.intro}</p>
            <code className="secret" data-testid="temporary-password">
              {secret.password}
            </code>
            <div>
              <CopyButton text={secret.password} label="Copy password" />
            </div>
          </div>
        </Modal>
      )}
    </div>
  );
}

function UserRow({ user: u, isSelf, onSecret }: { user: AdminUser; isSelf: boolean; onSecret: (s: Secret) => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const refresh = () => qc.invalidateQueries({ queryKey: qk.adminUsersAll });
  const locked = !!u.locked_until && new Date(u.locked_until).getTime() > Date.now();

  const patch = useMutation({
    mutationFn: (body: { role?: Role; active?: boolean }) => adminApi.updateUser(u.id, body),
    onSuccess: (_r, body) => {
      toast.success(
        body.role ? `${u.username} is now ${body.role}.` : body.active ? `${u.username} reactivated.` : `${u.username} deactivated.`,
      );
      void refresh();
    },
    onError: (e) => toast.error(e),
  });
  const action = useMutation({
    mutationFn: async (kind: "reset-password" | "reset-2fa" | "revoke-sessions" | "delete") => {
      switch (kind) {
        case "reset-password":
          return (await adminApi.resetPassword(u.id)).temporary_password;
        case "reset-2fa":
          await adminApi.reset2fa(u.id);
          return null;
        case "revoke-sessions":
          await adminApi.revokeSessions(u.id);
          return null;
        case "delete":
          await adminApi.deleteUser(u.id);
          return null;
      }
    },
    onSuccess: (pw, kind) => {
      if (kind === "reset-password" && pw) {
        onSecret({
          title: `New temporary password for ${u.username}`,
          intro: "It is shown only now. They must change it when they next sign in; their sessions were signed out.",
          password: pw,
        });
      } else {
        toast.success(
          kind === "reset-2fa"
            ? `Two-factor authentication reset for ${u.username}.`
            : kind === "revoke-sessions"
              ? `All sessions of ${u.username} signed out.`
              : `${u.username} deleted.`,
        );
      }
      void refresh();
    },
    onError: (e) => toast.error(e),
  });
  const busy = (k: string) => action.isPending && action.variables === k;
  const ask = async (kind: "reset-password" | "reset-2fa" | "revoke-sessions" | "delete", title: string, message: string, label: string) => {
    if (await confirm({ title, message, confirmLabel: label })) action.mutate(kind);
  };

  return (
    <tr data-testid="user-row" data-username={u.username}>
      <td data-label="User">
        <div className="user-cell">
          <span className="strong">{u.username}</span>
          {isSelf && <Badge tone="green">you</Badge>}
          <span className="muted small">{u.email ?? ""}</span>
        </div>
      </td>
      <td data-label="Role">
        <select
          className="input input-sm"
          aria-label={`Role of ${u.username}`}
          value={u.role}
          disabled={isSelf || patch.isPending}
          title={isSelf ? "You can't demote yourself" : undefined}
          onChange={(e) => patch.mutate({ role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td data-label="Status">
        {!u.active ? <Badge tone="red">deactivated</Badge> : locked ? <Badge tone="amber" title={`Locked until ${formatDateTime(u.locked_until)}`}>locked</Badge> : <Badge tone="green">active</Badge>}
        {u.must_change_password && (
          <Badge tone="amber" title="Must change password at next sign-in">
            new password due
          </Badge>
        )}
      </td>
      <td data-label="2FA">{u.two_factor_enabled ? <Badge tone="green">on</Badge> : <Badge>off</Badge>}</td>
      <td data-label="Sessions" className="num">{u.session_count}</td>
      <td data-label="Last sign-in" className="num nowrap">{formatDateTime(u.last_login_at)}</td>
      <td data-label="Actions" className="actions">
        <div className="row-actions">
          {isSelf ? (
            <Button size="sm" icon={<Eye size={14} aria-hidden />} disabled title="Your own leads are on the Leads page" aria-label={`View leads of ${u.username}`} />
          ) : (
            <Link
              className="btn btn-sm"
              to={`/leads?owner=${encodeURIComponent(u.id)}`}
              title="View their leads (read-only; recorded in the audit log)"
              aria-label={`View leads of ${u.username}`}
            >
              <Eye size={14} aria-hidden />
            </Link>
          )}
          {u.active ? (
            <Button
              size="sm"
              icon={<UserX size={14} aria-hidden />}
              disabled={isSelf}
              title={isSelf ? "You can't deactivate yourself" : "Deactivate: they can no longer sign in"}
              aria-label={`Deactivate ${u.username}`}
              loading={patch.isPending && patch.variables?.active === false}
              onClick={async () => {
                if (await confirm({ title: `Deactivate ${u.username}?`, message: "They are signed out everywhere and can no longer sign in until reactivated.", confirmLabel: "Deactivate" }))
                  patch.mutate({ active: false });
              }}
            />
          ) : (
            <Button
              size="sm"
              icon={<UserCheck size={14} aria-hidden />}
              title="Reactivate"
              aria-label={`Reactivate ${u.username}`}
              loading={patch.isPending && patch.variables?.active === true}
              onClick={() => patch.mutate({ active: true })}
            />
          )}
          <Button
            size="sm"
            icon={<KeyRound size={14} aria-hidden />}
            title="Reset password"
            aria-label={`Reset password of ${u.username}`}
            loading={busy("reset-password")}
            onClick={() =>
              ask("reset-password", `Reset the password of ${u.username}?`, "A temporary password is generated and shown once. Their sessions are signed out.", "Reset password")
            }
          />
          <Button
            size="sm"
            icon={<ShieldOff size={14} aria-hidden />}
            title={u.two_factor_enabled ? "Reset two-factor authentication" : "Two-factor authentication is off"}
            aria-label={`Reset 2FA of ${u.username}`}
            disabled={!u.two_factor_enabled}
            loading={busy("reset-2fa")}
            onClick={() =>
              ask("reset-2fa", `Reset 2FA of ${u.username}?`, "Their authenticator and backup codes stop working. If 2FA is required they set it up again at next sign-in.", "Reset 2FA")
            }
          />
          <Button
            size="sm"
            icon={<LogOut size={14} aria-hidden />}
            title="Sign out all sessions"
            aria-label={`Revoke sessions of ${u.username}`}
            loading={busy("revoke-sessions")}
            onClick={() => ask("revoke-sessions", `Sign out ${u.username} everywhere?`, "All their browser sessions end now.", "Sign out sessions")}
          />
          <Button
            size="sm"
            variant="danger"
            icon={<Trash2 size={14} aria-hidden />}
            disabled={isSelf}
            title={isSelf ? "You can't delete yourself" : "Delete user"}
            aria-label={`Delete ${u.username}`}
            loading={busy("delete")}
            onClick={() => ask("delete", `Delete ${u.username}?`, "This removes the user for good. This cannot be undone.", "Delete user")}
          />
        </div>
      </td>
    </tr>
  );
}

function CreateUserDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: CreatedUser) => void }) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("user");
  const [password, setPassword] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const m = useMutation({
    mutationFn: () =>
      adminApi.createUser({
        username: username.trim(),
        email: email.trim() || null,
        role,
        password: password || null,
      }),
    onSuccess: (c) => {
      toast.success(`User ${c.user.username} created.`);
      void qc.invalidateQueries({ queryKey: qk.adminUsersAll });
      onCreated(c);
    },
  });
  const fe = fieldErrors(m.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim()) m.mutate();
  };
  return (
    <Modal title="New user" onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <FormError message={m.error && Object.keys(fe).length === 0 ? errorMessage(m.error) : null} />
        <TextField label="Username" name="username" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} errors={fe.username} data-autofocus required />
        <TextField label="Email (optional)" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} errors={fe.email} />
        <SelectField label="Role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} errors={fe.role}>
          <option value="user">user — works with their own leads and accounts</option>
          <option value="viewer">viewer — read only</option>
          <option value="admin">admin — manages users and policy</option>
        </SelectField>
        <TextField
          label="Password (optional)"
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          errors={fe.password}
          hint="Leave empty to generate a temporary password. Either way they choose their own at first sign-in."
        />
        <div className="row gap end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" loading={m.isPending} disabled={!username.trim()}>
            Create user
          </Button>
        </div>
      </form>
    </Modal>
  );
}
