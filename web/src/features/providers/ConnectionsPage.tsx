import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Mail, Unplug } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { formatDateTime } from "../../ui/format";
import { consentOutcome, providerKeys, providersApi, type MailboxView } from "./api";
import { ProviderCards } from "./ProviderCards";
import "./providers.css";

/** Settings → Connections (every user): Gmail mailboxes and one's own AI keys. */
export default function ConnectionsPage() {
  return (
    <div className="page">
      <PageHeader title="Connections" description="Your Gmail mailboxes for sending outreach, and your own AI keys." />
      <ConsentOutcome />
      <Mailboxes />
      <section className="connections-keys" aria-labelledby="own-keys">
        <h2 id="own-keys" className="section-title">
          Your AI keys
        </h2>
        <p className="muted small">Your own keys are used for your work instead of the ones an administrator set.</p>
        <ProviderCards scope="me" />
      </section>
    </div>
  );
}

/** The message Google's redirect back carried; removed from the address once shown. */
function ConsentOutcome() {
  const [params, setParams] = useSearchParams();
  const [outcome] = useState(() => consentOutcome(params));
  useEffect(() => {
    if (params.has("mailbox") || params.has("mailbox_error")) setParams({}, { replace: true });
  }, [params, setParams]);
  if (!outcome) return null;
  return (
    <div className={outcome.ok ? "test-result test-ok consent-outcome" : "form-error consent-outcome"} role="status">
      {outcome.text}
    </div>
  );
}

function Mailboxes() {
  const q = useQuery({ queryKey: providerKeys.mailboxes, queryFn: providersApi.mailboxes });
  const connect = useMutation({
    mutationFn: providersApi.connectMailbox,
    // Off to Google's consent page; it sends the browser back to this page.
    onSuccess: (c) => window.location.assign(c.authorize_url),
  });
  const action = (
    <Button
      variant="primary"
      size="sm"
      icon={<Mail size={14} aria-hidden />}
      loading={connect.isPending || connect.isSuccess}
      disabled={q.data ? !q.data.can_connect : true}
      title={q.data && !q.data.can_connect ? "An administrator has to set the Google OAuth client first" : undefined}
      onClick={() => connect.mutate()}
    >
      Connect Gmail
    </Button>
  );
  return (
    <Card title="Gmail mailboxes" actions={action}>
      {connect.isError && <FormError message={errorMessage(connect.error)} />}
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      {q.data && q.data.items.length === 0 && (
        <EmptyState icon={<Mail size={24} />} title="No mailbox connected">
          {q.data.can_connect
            ? "Connect Gmail to send outreach from your own address. Google asks you to allow sending, reading and drafting."
            : "An administrator has to set the Google OAuth client under Settings → Providers before mailboxes can be connected."}
        </EmptyState>
      )}
      {q.data && q.data.items.length > 0 && (
        <ul className="mailbox-list" aria-label="Connected mailboxes">
          {q.data.items.map((m) => (
            <MailboxRow key={m.id} mailbox={m} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function MailboxRow({ mailbox }: { mailbox: MailboxView }) {
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const remove = useMutation({
    mutationFn: () => providersApi.disconnectMailbox(mailbox.id),
    onSuccess: () => {
      toast.success(`${mailbox.address} disconnected.`);
      qc.invalidateQueries({ queryKey: providerKeys.mailboxes });
    },
    onError: (e) => toast.error(e),
  });
  const onDisconnect = async () => {
    const ok = await confirm({
      title: `Disconnect ${mailbox.address}?`,
      message: "leadgen forgets its access to this mailbox. You can connect it again at any time.",
      confirmLabel: "Disconnect",
      danger: true,
    });
    if (ok) remove.mutate();
  };
  const connected = mailbox.status === "connected";
  return (
    <li className="mailbox-row" data-testid="mailbox-row">
      <Mail size={16} aria-hidden className="muted" />
      <div className="mailbox-main">
        <div className="mailbox-address">{mailbox.address}</div>
        <div className="muted small">
          Connected {formatDateTime(mailbox.connected_at)} · last used {mailbox.last_used_at ? formatDateTime(mailbox.last_used_at) : "never"}
        </div>
      </div>
      {connected ? (
        <Badge tone="green">connected</Badge>
      ) : (
        <Badge tone="amber" title="Google refused the stored access: connect this address again">
          needs reconnect
        </Badge>
      )}
      <Button
        size="sm"
        variant="ghost"
        icon={<Unplug size={14} aria-hidden />}
        loading={remove.isPending}
        onClick={onDisconnect}
        aria-label={`Disconnect ${mailbox.address}`}
      >
        Disconnect
      </Button>
    </li>
  );
}
