import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Plus, Workflow } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { useFilterParams } from "../../lib/useFilterParams";
import { FormError, SelectField } from "../../ui/Field";
import { Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner } from "../../ui/Spinner";
import { useCurrentUser } from "../auth/session";
import { isActive, sessionKeys, sessionsApi, sessionTitle, STATUS_LABEL, usd, type Session, type SessionStatus } from "./api";
import { useLiveSession } from "./live";
import { CurrentProgress, EtaNote, PauseNote, SessionStatusBadge } from "./SessionBits";
import { SessionActions } from "./SessionActions";
import "../../styles/admin.css";
import "./sessions.css";

const PER_PAGE = 25;
const STATUSES: SessionStatus[] = ["queued", "running", "cancelling", "cancelled", "done", "failed"];

/** Your processing sessions, newest first; the running one updates live. */
export default function SessionsPage() {
  const me = useCurrentUser();
  const canWrite = me.role !== "viewer";
  const [params, update] = useFilterParams();
  const status = (params.get("status") ?? "") as SessionStatus | "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const query = { status: status || undefined, limit: PER_PAGE, offset: (page - 1) * PER_PAGE };
  const list = useQuery({
    queryKey: sessionKeys.list(query),
    queryFn: ({ signal }) => sessionsApi.list(query, signal),
    placeholderData: keepPreviousData,
  });
  const items = list.data?.items ?? [];
  const filtered = !!status;
  return (
    <div className="page sessions-page">
      <PageHeader
        title="Sessions"
        description="Each session crawls hashtags, enriches the profiles, finds contacts, removes duplicates and writes e-mail drafts for you to review."
        actions={
          canWrite ? (
            <Link className="btn btn-primary btn-sm" to="/sessions/new">
              <Plus size={14} aria-hidden /> <span>New session</span>
            </Link>
          ) : undefined
        }
      />
      <Card>
        {(filtered || items.length > 0) && (
          <div className="filters">
            <SelectField label="Status" value={status} onChange={(e) => update({ status: e.target.value })}>
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </SelectField>
          </div>
        )}
        {list.isPending ? (
          <PageSpinner />
        ) : list.isError ? (
          <FormError message={errorMessage(list.error)} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Workflow size={24} />} title="No sessions with this status">
              <button type="button" className="link-btn" onClick={() => update({ status: "" })}>
                Show all sessions
              </button>
            </EmptyState>
          ) : (
            <EmptyState icon={<Workflow size={24} />} title="No sessions yet">
              <p>
                A session takes a few Instagram hashtags and turns the accounts behind their posts into leads: it reads the profiles, finds
                e-mail addresses, leaves out duplicates and do-not-contact entries, and writes a personal first e-mail for each lead. You review
                the drafts before anything is sent.
              </p>
              {canWrite && (
                <Link className="btn btn-primary" to="/sessions/new">
                  <Plus size={14} aria-hidden /> <span>New session</span>
                </Link>
              )}
            </EmptyState>
          )
        ) : (
          <>
            <div className="table-wrap">
              <table className="table stack sessions-table" aria-busy={list.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="sessions-progress-col">
                      Progress
                    </th>
                    <th scope="col" className="num">
                      Leads added
                    </th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                    <th scope="col">Started</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((s) => (isActive(s) ? <LiveRow key={s.id} seed={s} canWrite={canWrite} /> : <SessionRow key={s.id} session={s} canWrite={canWrite} />))}
                </tbody>
              </table>
            </div>
            {list.data && list.data.total > PER_PAGE && (
              <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => update({ page: String(p) }, false)} />
            )}
          </>
        )}
      </Card>
    </div>
  );
}

/** A session that still runs: follows its live progress. */
function LiveRow({ seed, canWrite }: { seed: Session; canWrite: boolean }) {
  const { session } = useLiveSession(seed.id, seed);
  return <SessionRow session={session ?? seed} canWrite={canWrite} />;
}

function SessionRow({ session: s, canWrite }: { session: Session; canWrite: boolean }) {
  return (
    <tr data-testid="session-row">
      <td data-label="Session" className="session-name-cell">
        <Link to={`/sessions/${s.id}`} className="strong session-link">
          {sessionTitle(s)}
        </Link>
        {s.name && s.hashtags.length > 0 && (
          <div className="small muted session-tags" title={s.hashtags.map((h) => `#${h}`).join(" ")}>
            {s.hashtags.map((h) => `#${h}`).join(" ")}
          </div>
        )}
      </td>
      <td data-label="Status">
        <SessionStatusBadge session={s} />
      </td>
      <td data-label="Progress">
        <CurrentProgress session={s} />
        {s.status === "running" && (
          <div className="row gap small">
            <PauseNote pause={s.pause} />
            <EtaNote session={s} />
          </div>
        )}
      </td>
      <td data-label="Leads added" className="num">
        {s.counts.leads_added.toLocaleString()}
        {s.counts.leads_updated > 0 && <span className="small muted"> +{s.counts.leads_updated.toLocaleString()} upd.</span>}
      </td>
      <td data-label="Cost" className="num">
        {usd(s.cost_usd)}
      </td>
      <td data-label="Started" className="num muted nowrap">
        {formatDateTime(s.started_at ?? s.created_at)}
      </td>
      <td className="actions">{canWrite && <SessionActions session={s} compact />}</td>
    </tr>
  );
}
