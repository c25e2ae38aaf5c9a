import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, LogOut, RefreshCw, Star, Stethoscope, Trash2, UserPlus } from "lucide-react";
import { isApiError } from "../../api/client";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { formatDateTime } from "../../ui/format";
import { useCurrentUser } from "../auth/session";
import { accountKeys, accountsApi, ageText, canManage, daysLeft, health, type AccountView, type MemberRole, type MemberView, type SessionTest } from "./api";
import { Avatar, HealthBadge, KindBadges, RoleBadge } from "./AccountBits";
import { AddByLoginDialog } from "./AddByLoginDialog";
import { useConnectInstagram } from "./AccountsPage";
import "./accounts.css";

/** One account: its session vault view (never a secret), its actions and its members. */
export default function AccountDetailPage() {
  const { id = "" } = useParams();
  const q = useQuery({ queryKey: accountKeys.one(id), queryFn: () => accountsApi.get(id) });
  if (q.isPending) return <PageSpinner />;
  if (q.isError) {
    return (
      <div className="page">
        {isApiError(q.error, "not_found") ? (
          <EmptyState title="Account not found" level={1}>
            It was unlinked, or you are not a member of it. <Link to="/accounts">Back to your accounts</Link>
          </EmptyState>
        ) : (
          <FormError message={errorMessage(q.error)} />
        )}
      </div>
    );
  }
  return <AccountDetail account={q.data} />;
}

function AccountDetail({ account: a }: { account: AccountView }) {
  const user = useCurrentUser();
  const manager = canManage(a.role) && user.role !== "viewer";
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const navigate = useNavigate();
  const connect = useConnectInstagram();
  const [relogin, setRelogin] = useState(false);
  const [test, setTest] = useState<SessionTest | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: accountKeys.all });
  const primary = useMutation({
    mutationFn: () => accountsApi.update(a.id, { primary: true }),
    onSuccess: () => {
      toast.success(`@${a.username} is your primary account.`);
      void refresh();
    },
    onError: (e) => toast.error(e),
  });
  const testSession = useMutation({
    mutationFn: () => accountsApi.testSession(a.id),
    onSuccess: (t) => {
      setTest(t);
      qc.setQueryData(accountKeys.one(a.id), t.account);
      void qc.invalidateQueries({ queryKey: accountKeys.list });
    },
  });
  const owner = a.role === "owner";
  const unlink = useMutation({
    mutationFn: () => accountsApi.unlink(a.id),
    onSuccess: () => {
      toast.success(owner ? `@${a.username} is unlinked; its secrets are removed.` : `You left @${a.username}.`);
      qc.removeQueries({ queryKey: accountKeys.one(a.id) });
      void refresh();
      navigate("/accounts", { replace: true });
    },
    onError: (e) => toast.error(e),
  });
  const onUnlink = async () => {
    const ok = await confirm(
      owner
        ? {
            title: `Unlink @${a.username}?`,
            message:
              "This removes the account and its secrets (token, password, TOTP seed, session, device, proxy) for every member. You can link it again later.",
            confirmLabel: "Unlink and remove secrets",
            danger: true,
          }
        : {
            title: `Leave @${a.username}?`,
            message: "You stop seeing this account. Its owner keeps it and can add you again.",
            confirmLabel: "Leave",
            danger: true,
          },
    );
    if (ok) unlink.mutate();
  };
  const h = health(a.vault);
  const official = a.vault.link_kinds.includes("official");
  return (
    <div className="page account-detail" data-testid="account-detail">
      <Link to="/accounts" className="ig-back small">
        <ArrowLeft size={14} aria-hidden /> All accounts
      </Link>
      <header className="page-header ig-header">
        <div className="ig-header-main">
          <Avatar account={a} size={48} />
          <div>
            <h1>@{a.username}</h1>
            <div className="ig-tags">
              <KindBadges kinds={a.vault.link_kinds} />
              <HealthBadge vault={a.vault} />
              <RoleBadge role={a.role} />
              {a.is_primary && <Badge tone="green">primary</Badge>}
            </div>
          </div>
        </div>
        <div className="page-actions">
          {!a.is_primary && (
            <Button size="sm" icon={<Star size={14} aria-hidden />} loading={primary.isPending} onClick={() => primary.mutate()}>
              Make primary
            </Button>
          )}
          {manager && (
            <Button size="sm" icon={<Stethoscope size={14} aria-hidden />} loading={testSession.isPending} onClick={() => testSession.mutate()}>
              Test session
            </Button>
          )}
          <Button size="sm" variant="danger" icon={owner ? <Trash2 size={14} aria-hidden /> : <LogOut size={14} aria-hidden />} loading={unlink.isPending} onClick={onUnlink}>
            {owner ? "Unlink" : "Leave"}
          </Button>
        </div>
      </header>
      {a.vault.needs_reconnect && (
        <div className="form-error reconnect-notice" role="alert" data-testid="reconnect-notice">
          <span>{a.vault.notice ?? "The Instagram token stopped working."} Connect the account again to keep messaging and insights running.</span>
          {manager && (
            <Button size="sm" variant="primary" icon={<RefreshCw size={14} aria-hidden />} loading={connect.isPending || connect.isSuccess} onClick={() => connect.mutate()}>
              Reconnect
            </Button>
          )}
        </div>
      )}
      {(a.vault.session_status === "invalid" || a.vault.session_status === "logged_out") && manager && (
        <div className="notice" role="status">
          {h.hint}{" "}
          <button type="button" className="link-btn" onClick={() => setRelogin(true)}>
            Log in again
          </button>
        </div>
      )}
      {connect.isError && <FormError message={errorMessage(connect.error)} />}
      {testSession.isError && <FormError message={errorMessage(testSession.error)} />}
      {test && (
        <div className={test.ok ? "ig-result ig-ok" : "ig-result ig-fail"} role="status" data-testid="test-result">
          {test.ok ? "Session works: " : "Session check failed: "}
          {test.message}
          {test.code && <code className="small"> ({test.code})</code>}
        </div>
      )}
      <div className="ig-grid">
        <VaultCard account={a} manager={manager} onReconnect={() => connect.mutate()} onRelogin={() => setRelogin(true)} official={official} />
        <MembersCard account={a} manager={manager} />
      </div>
      {relogin && <AddByLoginDialog onClose={() => setRelogin(false)} initialUsername={a.username} />}
    </div>
  );
}

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </>
  );
}

function VaultCard({
  account: a,
  manager,
  official,
  onReconnect,
  onRelogin,
}: {
  account: AccountView;
  manager: boolean;
  official: boolean;
  onReconnect: () => void;
  onRelogin: () => void;
}) {
  const v = a.vault;
  const left = daysLeft(v.token_expires_at);
  const session = v.link_kinds.includes("session") || v.session_status !== "none";
  return (
    <Card title="Session vault" className="vault-card">
      <p className="muted small">How this account is linked and how healthy each link is. Secrets are kept encrypted and never shown.</p>
      <dl className="vault" data-testid="vault">
        <Row label="Linked" testId="vault-linked">
          {v.link_kinds.length === 0 ? "not linked" : v.link_kinds.map((k) => (k === "official" ? "official (Instagram Login)" : "session (login on the sidecar)")).join(" and ")}
        </Row>
        <Row label="Token expires" testId="vault-token">
          {official ? (
            <>
              {formatDateTime(v.token_expires_at)}
              {left !== null && <span className="muted small"> · {left < 0 ? "expired" : `${left} days left`}, renewed automatically</span>}
            </>
          ) : (
            <span className="muted">no official link</span>
          )}
          {manager && !official && (
            <>
              {" "}
              <button type="button" className="link-btn" onClick={onReconnect}>
                Connect with Instagram
              </button>
            </>
          )}
        </Row>
        <Row label="Session" testId="vault-session">
          {v.session_status}
          {v.session_status === "pending" && (
            <>
              {" · "}
              <Link to="/challenges">answer the code</Link>
            </>
          )}
          {!session && manager && (
            <>
              {" "}
              <button type="button" className="link-btn" onClick={onRelogin}>
                Add by login
              </button>
            </>
          )}
        </Row>
        <Row label="Session age" testId="vault-age">
          {ageText(v.session_age_secs)}
          {v.session_started_at && <span className="muted small"> · since {formatDateTime(v.session_started_at)}</span>}
        </Row>
        <Row label="Last check">{formatDateTime(v.session_checked_at)}</Row>
        <Row label="Device" testId="vault-device">
          {v.device_pinned ? "pinned (reused by every login)" : "not pinned yet"}
        </Row>
        <Row label="TOTP seed">{v.totp_seed_stored ? "stored: 2FA answered without you" : "not stored"}</Row>
        <Row label="Proxy" testId="vault-proxy">
          <ProxyValue account={a} manager={manager} />
        </Row>
        <Row label="Last challenge">{formatDateTime(v.last_challenge_at)}</Row>
        <Row label="Last error" testId="vault-error">
          {v.last_error_code ? (
            <>
              <code>{v.last_error_code}</code> {v.last_error}
              <span className="muted small"> · {formatDateTime(v.last_error_at)}</span>
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </Row>
        {a.account_type && <Row label="Account type">{a.account_type.toLowerCase()}</Row>}
        <Row label="Last synced">{formatDateTime(a.last_synced_at)}</Row>
      </dl>
    </Card>
  );
}

/** The proxy the sidecar uses (its password never shown); owners and admins change or remove it in place. */
function ProxyValue({ account: a, manager }: { account: AccountView; manager: boolean }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: (proxy: string) => accountsApi.update(a.id, { proxy }),
    onSuccess: (updated) => {
      qc.setQueryData(accountKeys.one(a.id), updated);
      void qc.invalidateQueries({ queryKey: accountKeys.list });
      toast.success(updated.vault.proxy ? `@${a.username} uses the proxy now.` : `@${a.username} uses no proxy now.`);
      setEditing(false);
      setValue("");
    },
  });
  if (!editing) {
    return (
      <>
        {a.vault.proxy ?? <span className="muted">none</span>}
        {manager && (
          <>
            {" "}
            <button type="button" className="link-btn" onClick={() => setEditing(true)}>
              {a.vault.proxy ? "Change" : "Set"}
            </button>
          </>
        )}
      </>
    );
  }
  const fe = fieldErrors(save.error);
  return (
    <form
      className="proxy-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) save.mutate(value.trim());
      }}
      noValidate
    >
      <TextField
        label="Proxy"
        name="proxy"
        autoComplete="off"
        spellCheck={false}
        placeholder="http://user:password@host:port"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        errors={fe.proxy ?? (save.error ? [errorMessage(save.error)] : undefined)}
        autoFocus
      />
      <div className="proxy-actions">
        <Button type="submit" size="sm" variant="primary" loading={save.isPending} disabled={!value.trim()}>
          Save
        </Button>
        {a.vault.proxy && (
          <Button size="sm" variant="ghost" disabled={save.isPending} onClick={() => save.mutate("")}>
            Remove proxy
          </Button>
        )}
        <Button size="sm" variant="ghost" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

const ROLE_HELP: Record<MemberRole, string> = {
  owner: "owns the account (one per account)",
  admin: "manages links and members",
  viewer: "reads only",
};

function MembersCard({ account: a, manager }: { account: AccountView; manager: boolean }) {
  const q = useQuery({ queryKey: accountKeys.members(a.id), queryFn: () => accountsApi.members(a.id) });
  const [error, setError] = useState<unknown>(null);
  return (
    <Card title="Members" className="members-card">
      <p className="muted small">Owner and admins manage the account; viewers only read it.</p>
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      <FormError message={error ? errorMessage(error) : null} />
      {q.data && (
        <ul className="member-list" aria-label="Members">
          {q.data.items.map((m) => (
            <MemberRow key={m.user_id} account={a} member={m} manager={manager} onError={setError} />
          ))}
        </ul>
      )}
      {manager && <AddMember account={a} onError={setError} />}
    </Card>
  );
}

function MemberRow({ account: a, member: m, manager, onError }: { account: AccountView; member: MemberView; manager: boolean; onError: (e: unknown) => void }) {
  const me = useCurrentUser();
  const qc = useQueryClient();
  const confirm = useConfirm();
  const toast = useToast();
  const done = () => {
    onError(null);
    void qc.invalidateQueries({ queryKey: accountKeys.all });
  };
  const role = useMutation({
    mutationFn: (r: MemberRole) => accountsApi.setMemberRole(a.id, m.user_id, r),
    onSuccess: () => {
      toast.success(`${m.username} is now ${role.variables}.`);
      done();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: () => accountsApi.removeMember(a.id, m.user_id),
    onSuccess: () => {
      toast.success(`${m.username} was removed from @${a.username}.`);
      done();
    },
    onError,
  });
  const onRole = async (r: MemberRole) => {
    if (r === "owner") {
      const ok = await confirm({
        title: `Hand @${a.username} over to ${m.username}?`,
        message: "They become the owner; you become an admin of the account.",
        confirmLabel: "Hand over",
        danger: false,
      });
      if (!ok) return;
    }
    role.mutate(r);
  };
  const onRemove = async () => {
    const ok = await confirm({
      title: `Remove ${m.username}?`,
      message: `${m.username} stops seeing @${a.username}.`,
      confirmLabel: "Remove",
      danger: true,
    });
    if (ok) remove.mutate();
  };
  const self = m.user_id === me.id;
  const roles: MemberRole[] = a.role === "owner" ? ["owner", "admin", "viewer"] : ["admin", "viewer"];
  return (
    <li className="member-row" data-testid="member-row" data-username={m.username}>
      <div className="member-main">
        <span className="member-name">
          {m.username}
          {self && <span className="muted small"> (you)</span>}
        </span>
        <span className="muted small">added {formatDateTime(m.added_at)}</span>
      </div>
      {manager && !self ? (
        <select
          className="input input-sm"
          aria-label={`Role of ${m.username}`}
          value={m.role}
          disabled={role.isPending}
          onChange={(e) => void onRole(e.target.value as MemberRole)}
        >
          {(roles.includes(m.role) ? roles : [m.role, ...roles]).map((r) => (
            <option key={r} value={r} title={ROLE_HELP[r]}>
              {r}
            </option>
          ))}
        </select>
      ) : (
        <RoleBadge role={m.role} />
      )}
      {manager && !self && (
        <Button size="sm" variant="ghost" loading={remove.isPending} onClick={onRemove} aria-label={`Remove ${m.username}`}>
          Remove
        </Button>
      )}
    </li>
  );
}

function AddMember({ account: a, onError }: { account: AccountView; onError: (e: unknown) => void }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<MemberRole>("viewer");
  const qc = useQueryClient();
  const toast = useToast();
  const add = useMutation({
    mutationFn: () => accountsApi.addMember(a.id, username.trim(), role),
    onSuccess: (m) => {
      toast.success(`${m.username} was added as ${m.role}.`);
      setUsername("");
      onError(null);
      void qc.invalidateQueries({ queryKey: accountKeys.members(a.id) });
    },
  });
  const fe = fieldErrors(add.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim()) add.mutate();
  };
  return (
    <form className="add-member" onSubmit={submit} noValidate aria-label="Add a member">
      <TextField
        label="Add a leadgen user"
        name="member_username"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        placeholder="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        errors={fe.username ?? (add.error && !fe.role ? [errorMessage(add.error)] : undefined)}
        fieldClassName="add-member-name"
      />
      <SelectField label="Role" name="member_role" value={role} onChange={(e) => setRole(e.target.value as MemberRole)} errors={fe.role} fieldClassName="add-member-role">
        <option value="viewer">viewer</option>
        <option value="admin">admin</option>
      </SelectField>
      <Button type="submit" size="sm" icon={<UserPlus size={14} aria-hidden />} loading={add.isPending} disabled={!username.trim()}>
        Add
      </Button>
    </form>
  );
}

