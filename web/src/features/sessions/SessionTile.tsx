import { Link } from "react-router";
import { ArrowRight, Plus, Workflow } from "lucide-react";
import { Card } from "../../ui/misc";
import { isActive, overallPercent, sessionTitle, usd } from "./api";
import { useLatestSession, useLiveSession } from "./live";
import { CurrentProgress, EtaNote, PauseNote, SessionStatusBadge } from "./SessionBits";
import "./sessions.css";

/** The dashboard's tile: the running session's progress, the last one's result, or how to start one. */
export function SessionTile({ canWrite }: { canWrite: boolean }) {
  const latest = useLatestSession();
  const seed = latest.data ?? null;
  const { session } = useLiveSession(seed && isActive(seed) ? seed.id : null, seed);
  const s = session && seed && session.id === seed.id ? session : seed;
  return (
    <Card
      title="Sessions"
      className="dash-sessions"
      actions={
        <Link to="/sessions" className="small">
          All sessions <ArrowRight size={12} aria-hidden />
        </Link>
      }
    >
      {latest.isPending ? (
        <p className="muted small">Loading…</p>
      ) : !s || latest.isError ? (
        <div className="jobs-empty" data-testid="session-tile-empty">
          <Workflow size={16} aria-hidden />
          <div className="small muted">
            <p>Turn Instagram hashtags into leads with contact data and a first e-mail each.</p>
            {canWrite && (
              <Link className="btn btn-primary btn-sm" to="/sessions/new">
                <Plus size={14} aria-hidden /> <span>Start a session</span>
              </Link>
            )}
          </div>
        </div>
      ) : (
        <div className="session-tile" data-testid="session-tile">
          <div className="my-job-head">
            <Link to={`/sessions/${s.id}`} className="strong session-link">
              {sessionTitle(s)}
            </Link>
            <SessionStatusBadge session={s} />
          </div>
          {isActive(s) ? (
            <>
              <CurrentProgress session={s} />
              <div className="row gap small">
                <PauseNote pause={s.pause} />
                <EtaNote session={s} />
              </div>
              <span className="small muted num">
                {overallPercent(s)} % of all stages · {s.counts.leads_added.toLocaleString()} leads added · {usd(s.cost_usd)}
              </span>
            </>
          ) : (
            <>
              <span className="small muted num">
                {s.counts.leads_added.toLocaleString()} leads added · {s.counts.drafts.toLocaleString()} drafts · {usd(s.cost_usd)}
              </span>
              {canWrite && (
                <Link className="btn btn-sm" to="/sessions/new">
                  <Plus size={14} aria-hidden /> <span>Start a session</span>
                </Link>
              )}
            </>
          )}
        </div>
      )}
    </Card>
  );
}
