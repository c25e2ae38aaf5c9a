import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AtSign, LogOut } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError } from "../../ui/Field";
import { Card, EmptyState, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { formatDateTime } from "../../ui/format";
import { accountKeys, accountsApi, ageText, type AdminAccount } from "./api";
import { HealthBadge, KindBadges } from "./AccountBits";
import "./accounts.css";

/** Admin → Accounts: every Instagram account of every user, with owner, links, health and last error. */
export default function AdminAccountsPage() {
  const q = useQuery({ queryKey: accountKeys.admin, queryFn: accountsApi.adminList });
  return (
    <div className="page">
      <PageHeader title="Instagram accounts" description="Every linked account of every user: owner, links, health and last error. Secrets are never shown." />
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      {q.data && q.data.items.length === 0 && (
        <Card>
          <EmptyState icon={<AtSign size={24} />} title="No account is linked">
            Users link their Instagram accounts on their Accounts page; they show here with their health.
          </EmptyState>
        </Card>
      )}
      {q.data && q.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="table admin-accounts stack" aria-label="All Instagram accounts">
            <thead>
              <tr>
                <th>Account</th>
                <th>Owner</th>
                <th className="num">Members</th>
                <th>Links</th>
                <th>Health</th>
                <th>Session</th>
                <th>Last error</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((a) => (
                <AdminRow key={a.id} account={a} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function AdminRow({ account: a }: { account: AdminAccount }) {
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const logout = useMutation({
    mutationFn: () => accountsApi.adminLogout(a.id),
    onSuccess: () => {
      toast.success(`The session of @${a.username} was ended.`);
      void qc.invalidateQueries({ queryKey: accountKeys.all });
    },
    onError: (e) => toast.error(e),
  });
  const onLogout = async () => {
    const ok = await confirm({
      title: `Force a session logout of @${a.username}?`,
      message: "The credential session ends now (this is audited). The device stays pinned; the owner logs in again on the Accounts page.",
      confirmLabel: "Force logout",
      danger: true,
    });
    if (ok) logout.mutate();
  };
  const v = a.vault;
  const hasSession = v.session_status === "valid" || v.session_status === "pending" || v.session_status === "invalid";
  return (
    <tr data-testid="admin-account-row" data-username={a.username}>
      <td data-label="Account">@{a.username}</td>
      <td data-label="Owner">{a.owner_username ?? <span className="muted">—</span>}</td>
      <td className="num" data-label="Members">{a.members}</td>
      <td data-label="Links">
        <KindBadges kinds={v.link_kinds} />
      </td>
      <td data-label="Health">
        <HealthBadge vault={v} />
      </td>
      <td className="small" data-label="Session">
        {v.session_status}
        {v.session_age_secs !== null && v.session_age_secs !== undefined && <span className="muted"> · {ageText(v.session_age_secs)}</span>}
      </td>
      <td className="small" data-label="Last error">
        {v.last_error_code ? (
          <span title={v.last_error ?? undefined}>
            <code>{v.last_error_code}</code> <span className="muted">{formatDateTime(v.last_error_at)}</span>
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        {hasSession && (
          <Button size="sm" variant="ghost" icon={<LogOut size={14} aria-hidden />} loading={logout.isPending} onClick={onLogout} aria-label={`Force session logout of @${a.username}`}>
            Force logout
          </Button>
        )}
      </td>
    </tr>
  );
}
