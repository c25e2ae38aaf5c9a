import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AtSign, Inbox, KeyRound, Star } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { accountKeys, accountsApi, linkOutcome, type AccountView } from "./api";
import { Avatar, HealthBadge, KindBadges, RoleBadge } from "./AccountBits";
import { AddByLoginDialog } from "./AddByLoginDialog";
import { useChallenges } from "./ChallengeIndicator";
import "./accounts.css";

/** Starts the official link: off to Instagram's consent page, which sends the browser back to /accounts. */
export function useConnectInstagram() {
  return useMutation({
    mutationFn: accountsApi.startOfficial,
    onSuccess: (c) => window.location.assign(c.authorize_url),
  });
}

/** Accounts: my Instagram accounts, how each is linked and how healthy it is; link new ones. */
export default function AccountsPage() {
  const user = useCurrentUser();
  const writer = user.role !== "viewer";
  // Always fresh on arrival: whether linking is possible depends on provider settings changed elsewhere.
  const q = useQuery({ queryKey: accountKeys.list, queryFn: accountsApi.list, refetchOnMount: "always" });
  const connect = useConnectInstagram();
  const [adding, setAdding] = useState(false);
  const data = q.data;
  const actions = writer ? (
    <>
      <Button
        variant="primary"
        size="sm"
        icon={<AtSign size={14} aria-hidden />}
        loading={connect.isPending || connect.isSuccess}
        disabled={!data?.can_link_official}
        title={data && !data.can_link_official ? "An administrator has to set the Instagram app first (Settings → Providers)" : undefined}
        onClick={() => connect.mutate()}
      >
        Connect with Instagram
      </Button>
      <Button
        size="sm"
        icon={<KeyRound size={14} aria-hidden />}
        disabled={!data?.can_link_session}
        title={data && !data.can_link_session ? "An administrator has to set the session sidecar first (Settings → Providers)" : undefined}
        onClick={() => setAdding(true)}
      >
        Add by login
      </Button>
    </>
  ) : undefined;
  return (
    <div className="page accounts-page">
      <PageHeader
        title="Instagram accounts"
        description="Link your accounts officially (messaging, insights) and/or by login (automation). Pages work on the account selected in the top bar."
        actions={actions}
      />
      <LinkOutcomeBanner items={data?.items} />
      <OpenChallengesNotice />
      {connect.isError && <FormError message={errorMessage(connect.error)} />}
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      {data && data.items.length === 0 && (
        <Card>
          <EmptyState icon={<AtSign size={24} />} title="No Instagram account linked yet">
            {!writer
              ? "Ask an account's owner to add you as a member; it then shows here."
              : data.can_link_official || data.can_link_session
                ? "Connect with Instagram for messaging and insights, or add an account by login for automation. You can do both for the same account."
                : "An administrator has to set the Instagram app or the session sidecar under Settings → Providers before accounts can be linked."}
          </EmptyState>
        </Card>
      )}
      {data && data.items.length > 0 && (
        <Card className="accounts-card">
          <ul className="ig-list" aria-label="Your Instagram accounts">
            {data.items.map((a) => (
              <AccountRow key={a.id} account={a} />
            ))}
          </ul>
        </Card>
      )}
      {adding && <AddByLoginDialog onClose={() => setAdding(false)} />}
    </div>
  );
}

function AccountRow({ account: a }: { account: AccountView }) {
  const qc = useQueryClient();
  const toast = useToast();
  const primary = useMutation({
    mutationFn: () => accountsApi.update(a.id, { primary: true }),
    onSuccess: () => {
      toast.success(`@${a.username} is your primary account.`);
      void qc.invalidateQueries({ queryKey: accountKeys.all });
    },
    onError: (e) => toast.error(e),
  });
  return (
    <li className="ig-row" data-testid="account-row" data-username={a.username}>
      <Avatar account={a} size={36} />
      <div className="ig-main">
        <div className="ig-name">
          <Link to={`/accounts/${encodeURIComponent(a.id)}`}>@{a.username}</Link>
          {a.is_primary && (
            <Badge tone="green" title="Pages open on this account">
              primary
            </Badge>
          )}
        </div>
        <div className="muted small ig-sub">{subline(a)}</div>
      </div>
      <div className="ig-tags">
        <KindBadges kinds={a.vault.link_kinds} />
        <HealthBadge vault={a.vault} />
        <RoleBadge role={a.role} />
      </div>
      <div className="ig-actions">
        {!a.is_primary && (
          <Button size="sm" variant="ghost" icon={<Star size={14} aria-hidden />} loading={primary.isPending} onClick={() => primary.mutate()} aria-label={`Make @${a.username} primary`}>
            Make primary
          </Button>
        )}
        <Link className="btn btn-sm" to={`/accounts/${encodeURIComponent(a.id)}`} aria-label={`Vault of @${a.username}`}>
          <span>Vault</span>
        </Link>
      </div>
    </li>
  );
}

/** Name, followers and what needs attention, joined with dots. */
function subline(a: AccountView): string {
  const followers = a.followers_count === null || a.followers_count === undefined ? null : `${a.followers_count.toLocaleString()} followers`;
  const issue = a.vault.notice ?? (a.vault.last_error_code ? `Last error: ${a.vault.last_error_code}` : null);
  return [a.full_name, followers, issue].filter(Boolean).join(" · ");
}

/** The message the return from Instagram's consent carried; removed from the address once read. */
function LinkOutcomeBanner({ items }: { items: AccountView[] | undefined }) {
  const [params, setParams] = useSearchParams();
  const [outcome] = useState(() => linkOutcome(params));
  useEffect(() => {
    if (params.has("linked") || params.has("error")) setParams({}, { replace: true });
  }, [params, setParams]);
  if (!outcome) return null;
  if (outcome.ok) {
    const a = items?.find((i) => i.id === outcome.accountId);
    return (
      <div className="ig-result ig-ok" role="status" data-testid="link-outcome">
        {a ? `@${a.username} is linked with Instagram.` : "The Instagram account is linked."}{" "}
        <Link to={`/accounts/${encodeURIComponent(outcome.accountId)}`}>See its vault</Link>
      </div>
    );
  }
  return (
    <div className="form-error ig-outcome" role="alert" data-testid="link-outcome">
      {outcome.text}
    </div>
  );
}

function OpenChallengesNotice() {
  const q = useChallenges();
  const n = q.data?.items.length ?? 0;
  if (n === 0) return null;
  return (
    <div className="notice" role="status">
      <Inbox size={14} aria-hidden /> Instagram asked for {n === 1 ? "a code" : `${n} codes`}.{" "}
      <Link to="/challenges">Open the challenge inbox</Link>
    </div>
  );
}
