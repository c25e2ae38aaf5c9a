import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ArrowLeft, ListChecks, Mail, Radio, Sheet } from "lucide-react";
import { isApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";
import { PageSpinner, Spinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { isActive, sessionKeys, sessionsApi, sessionTitle, STAGE_LABEL, usd, type Session } from "./api";
import { storeSession, useLiveSession } from "./live";
import { EtaNote, PauseNote, SessionStatusBadge, StageStepper } from "./SessionBits";
import { SessionActions } from "./SessionActions";
import "./sessions.css";

/** One session: live stages and counts, related hashtags to add, the log, failed items, the summary. */
export default function SessionDetailPage() {
  const { id = "" } = useParams();
  const me = useCurrentUser();
  const canWrite = me.role !== "viewer";
  const { session, query, live, polling } = useLiveSession(id);
  if (query.isPending) return <PageSpinner />;
  if (query.isError || !session) {
    return (
      <div className="page">
        {isApiError(query.error) && query.error.status === 404 ? (
          <EmptyState title="Session not found" level={1}>
            <Link to="/sessions">All sessions</Link>
          </EmptyState>
        ) : (
          <FormError message={errorMessage(query.error)} />
        )}
      </div>
    );
  }
  const s = session;
  const active = isActive(s);
  return (
    <div className="page session-detail" data-testid="session-detail" data-status={s.status}>
      <PageHeader
        title={sessionTitle(s)}
        description={
          <span className="row gap session-head-line">
            <SessionStatusBadge session={s} />
            {live && (
              <span className="small live-dot" title="Updates as they happen">
                <Radio size={12} aria-hidden /> live
              </span>
            )}
            {polling && <span className="small muted">updates every 2 s</span>}
            <span className="small muted num">
              {s.started_at ? `Started ${formatDateTime(s.started_at)}` : `Created ${formatDateTime(s.created_at)}`}
              {s.finished_at ? ` · ended ${formatDateTime(s.finished_at)}` : ""}
            </span>
          </span>
        }
        actions={
          <span className="row gap session-head-actions">
            <Link className="btn btn-sm btn-ghost" to="/sessions">
              <ArrowLeft size={14} aria-hidden /> <span>All sessions</span>
            </Link>
            {canWrite && <SessionActions session={s} compact />}
          </span>
        }
      />
      {s.status === "running" && (s.pause || s.eta_seconds !== null) && (
        <div className="session-live-line">
          <PauseNote pause={s.pause} />
          <EtaNote session={s} />
        </div>
      )}
      {s.last_error && (
        <div className="form-error" role="alert">
          {s.last_error}
        </div>
      )}
      <div className="session-grid">
        <Card title="Stages" className="session-stages">
          <StageStepper session={s} />
        </Card>
        <Card title="So far" className="session-counts">
          <Counts s={s} />
          <div className="session-links">
            {s.stages.includes("drafts") && (
              <Link className="btn btn-sm" to={`/review?session=${encodeURIComponent(s.id)}`}>
                <Mail size={14} aria-hidden /> <span>Review drafts{s.counts.drafts ? ` (${s.counts.drafts.toLocaleString()})` : ""}</span>
              </Link>
            )}
            <Link className="btn btn-sm" to="/leads">
              <Sheet size={14} aria-hidden /> <span>Open the leads grid</span>
            </Link>
          </div>
        </Card>
        {!active && s.summary && (
          <Card title="Summary" className="session-summary">
            <p className="session-summary-text" data-testid="session-summary">
              {s.summary}
            </p>
          </Card>
        )}
        {(s.options.discover_related || s.related_hashtags.length > 0) && <RelatedHashtags s={s} canWrite={canWrite} />}
        <FailedItems s={s} canWrite={canWrite} />
        <SessionLog s={s} />
        <Settings s={s} />
      </div>
    </div>
  );
}

function Counts({ s }: { s: Session }) {
  const c = s.counts;
  const figures: Array<[string, number | string, string?]> = [
    ["Profiles found", c.profiles_found.toLocaleString()],
    ["Leads added", c.leads_added.toLocaleString(), "counts-main"],
    ["Leads updated", c.leads_updated.toLocaleString()],
    ["Contacts found", c.contacts_found.toLocaleString()],
    ["Merged duplicates", c.merged.toLocaleString()],
    ["Dropped: do not contact", c.dropped_dnc.toLocaleString()],
    ["Dropped: filters", c.dropped_filter.toLocaleString()],
    ["Drafts written", c.drafts.toLocaleString()],
    ["Failed items", c.failed.toLocaleString(), c.failed ? "counts-bad" : undefined],
    ["Cost so far", usd(s.cost_usd)],
  ];
  return (
    <dl className="session-figures" data-testid="session-counts">
      {figures.map(([label, v, cls]) => (
        <div key={label} className={cls}>
          <dt>{label}</dt>
          <dd className="num">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Hashtags found on the crawled posts: tick to add them to the crawl while the session runs. */
function RelatedHashtags({ s, canWrite }: { s: Session; canWrite: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [picked, setPicked] = useState<string[]>([]);
  const fresh = s.related_hashtags.filter((r) => !s.hashtags.includes(r.tag));
  const open = isActive(s) && s.status !== "cancelling";
  const add = useMutation({
    mutationFn: () => sessionsApi.addRelated(s.id, picked),
    onSuccess: (next) => {
      storeSession(qc, next);
      toast.success(`Added ${picked.length === 1 ? `#${picked[0]}` : `${picked.length} hashtags`} to the crawl.`);
      setPicked([]);
    },
    onError: (e) => toast.error(e),
  });
  return (
    <Card title="Related hashtags" className="session-related">
      {fresh.length === 0 ? (
        <p className="small muted">{isActive(s) ? "None yet: they appear while the posts are crawled." : "No related hashtags were found."}</p>
      ) : (
        <>
          <p className="small muted">
            {open ? "Found on the crawled posts. Tick the ones to crawl too." : "Found on the crawled posts. Start a new session with the ones you like."}
          </p>
          <ul className="related-list">
            {fresh.map((r) => (
              <li key={r.tag}>
                <label className="check-row">
                  <input
                    type="checkbox"
                    checked={picked.includes(r.tag)}
                    onChange={(e) => setPicked((p) => (e.target.checked ? [...p, r.tag] : p.filter((t) => t !== r.tag)))}
                  />
                  #{r.tag} <span className="small muted num">{r.posts.toLocaleString()} posts</span>
                </label>
              </li>
            ))}
          </ul>
          {canWrite &&
            (open ? (
              <Button size="sm" variant="primary" disabled={picked.length === 0} loading={add.isPending} onClick={() => add.mutate()}>
                Add {picked.length || ""} to the crawl
              </Button>
            ) : (
              picked.length > 0 && (
                <Link className="btn btn-sm btn-primary" to={`/sessions/new?hashtags=${encodeURIComponent(picked.join(","))}`}>
                  New session with {picked.length}
                </Link>
              )
            ))}
        </>
      )}
    </Card>
  );
}

function FailedItems({ s, canWrite }: { s: Session; canWrite: boolean }) {
  const active = isActive(s);
  const items = useQuery({
    queryKey: [...sessionKeys.items(s.id, "failed"), s.counts.failed],
    queryFn: () => sessionsApi.items(s.id, { status: "failed", limit: 50 }),
    enabled: s.counts.failed > 0,
  });
  if (s.counts.failed === 0) return null;
  return (
    <Card
      title={
        <>
          Failed items <Badge tone="red">{s.counts.failed.toLocaleString()}</Badge>
        </>
      }
      className="session-failed"
      actions={!active && canWrite ? <SessionActions session={s} compact /> : undefined}
    >
      {items.isPending ? (
        <Spinner label="Loading failed items" />
      ) : items.isError ? (
        <FormError message={errorMessage(items.error)} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table stack failed-table" data-testid="failed-items">
              <thead>
                <tr>
                  <th scope="col">Stage</th>
                  <th scope="col">Item</th>
                  <th scope="col">Error</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {items.data.items.map((it) => (
                  <tr key={it.id}>
                    <td data-label="Stage">{STAGE_LABEL[it.stage] ?? it.stage}</td>
                    <td data-label="Item" className="strong">
                      {it.key}
                    </td>
                    <td data-label="Error" className="failed-error" title={it.error ?? undefined}>
                      {it.error ?? "—"}
                    </td>
                    <td data-label="Attempts" className="num">
                      {it.attempts}
                    </td>
                    <td data-label="When" className="num muted nowrap">
                      {formatDateTime(it.updated_at)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {items.data.total > items.data.items.length && (
            <p className="small muted">
              The first {items.data.items.length} of {items.data.total.toLocaleString()}.
            </p>
          )}
          {active && <p className="small muted">Failed items can be retried once the session has finished.</p>}
        </>
      )}
    </Card>
  );
}

const LEVEL_TONE = { info: "neutral", warn: "amber", error: "red" } as const;

function SessionLog({ s }: { s: Session }) {
  const active = isActive(s);
  const log = useQuery({
    queryKey: sessionKeys.log(s.id),
    queryFn: () => sessionsApi.log(s.id, 200),
    refetchInterval: active ? 5000 : false,
  });
  return (
    <Card
      title={
        <>
          <ListChecks size={16} aria-hidden /> Log
        </>
      }
      className="session-log"
    >
      {log.isPending ? (
        <Spinner label="Loading the log" />
      ) : log.isError ? (
        <FormError message={errorMessage(log.error)} />
      ) : log.data.items.length === 0 ? (
        <p className="small muted">Nothing logged yet.</p>
      ) : (
        <ol className="session-log-list" data-testid="session-log">
          {log.data.items.map((l, i) => (
            <li key={i} className={`log-${l.level}`}>
              <span className="num muted small log-at">{formatDateTime(l.at)}</span>
              {l.level !== "info" && <Badge tone={LEVEL_TONE[l.level]}>{l.level}</Badge>}
              {l.stage && <span className="small muted log-stage">{STAGE_LABEL[l.stage] ?? l.stage}</span>}
              <span className="log-msg">{l.message}</span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function Settings({ s }: { s: Session }) {
  const o = s.options;
  const f = o.filters;
  const followers =
    f.min_followers !== null || f.max_followers !== null
      ? `${f.min_followers?.toLocaleString() ?? "0"} – ${f.max_followers?.toLocaleString() ?? "any"}`
      : "any";
  const rows: Array<[string, string]> = [
    ["Hashtags", s.hashtags.length ? s.hashtags.map((h) => `#${h}`).join(" ") : "— (selected leads)"],
    ["Stages", s.stages.map((x) => STAGE_LABEL[x]).join(" → ")],
    ["Product", s.product_name ?? "—"],
    ["Posts per hashtag", o.posts_per_hashtag.toLocaleString()],
    ["Maximum new leads", o.max_new_leads.toLocaleString()],
    ["Followers", followers],
    [
      "Filters",
      [f.business_only && "business only", f.require_contact && "with contact data", f.skip_private && "no private accounts", f.bio_language && `bio in ${f.bio_language}`]
        .filter(Boolean)
        .join(", ") || "none",
    ],
    ["Pacing", `${o.pacing.batch_size} per batch, ${o.pacing.pause_min_seconds}–${o.pacing.pause_max_seconds} s pauses`],
  ];
  return (
    <Card title="Settings" className="session-settings">
      <dl className="facts compact">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
