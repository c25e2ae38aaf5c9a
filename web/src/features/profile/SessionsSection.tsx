import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { LogOut, MonitorSmartphone } from "lucide-react";
import { meApi, qk } from "../../api/endpoints";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError } from "../../ui/Field";
import { Badge, Card, EmptyState } from "../../ui/misc";
import { formatDateTime, shortUserAgent } from "../../ui/format";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { signedOut } from "../auth/session";

export function SessionsSection() {
  const sessions = useQuery({ queryKey: qk.sessions, queryFn: meApi.sessions });
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const navigate = useNavigate();

  const revoke = useMutation({
    mutationFn: (id: string) => meApi.revokeSession(id),
    onSuccess: () => {
      toast.success("Session signed out.");
      void qc.invalidateQueries({ queryKey: qk.sessions });
    },
    onError: (e) => toast.error(e),
  });
  const everywhere = useMutation({
    mutationFn: meApi.logoutEverywhere,
    onSuccess: () => {
      navigate("/login", { replace: true, state: null });
      signedOut(qc);
    },
    onError: (e) => toast.error(e),
  });

  return (
    <Card
      title="Active sessions"
      actions={
        <Button
          variant="danger"
          size="sm"
          icon={<LogOut size={14} aria-hidden />}
          loading={everywhere.isPending}
          onClick={async () => {
            const ok = await confirm({
              title: "Log out everywhere?",
              message:
                "This signs out every browser, including this one, and revokes all your API tokens. You will need to sign in again.",
              confirmLabel: "Log out everywhere",
            });
            if (ok) everywhere.mutate();
          }}
        >
          Log out everywhere
        </Button>
      }
    >
      {sessions.isPending ? (
        <PageSpinner />
      ) : sessions.isError ? (
        <FormError message={errorMessage(sessions.error)} />
      ) : sessions.data.length === 0 ? (
        <EmptyState icon={<MonitorSmartphone size={24} />} title="No active sessions" />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Last seen</th>
                <th scope="col">IP</th>
                <th scope="col">Browser</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((s) => (
                <tr key={s.id} data-testid="session-row" data-current={s.current || undefined}>
                  <td className="num">{formatDateTime(s.created_at)}</td>
                  <td className="num">{formatDateTime(s.last_seen_at)}</td>
                  <td className="num">{s.ip ?? "—"}</td>
                  <td title={s.user_agent ?? undefined}>
                    {shortUserAgent(s.user_agent)} {s.current && <Badge tone="green">this session</Badge>}
                  </td>
                  <td className="actions">
                    {s.current ? (
                      <span className="muted small" title="Use “Sign out” at the top to end this session">
                        —
                      </span>
                    ) : (
                      <Button
                        size="sm"
                        loading={revoke.isPending && revoke.variables === s.id}
                        aria-label={`Revoke session from ${shortUserAgent(s.user_agent)} created ${formatDateTime(s.created_at)}`}
                        onClick={() => revoke.mutate(s.id)}
                      >
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
