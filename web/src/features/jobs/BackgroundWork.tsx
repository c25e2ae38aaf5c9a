import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Activity } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { FormError } from "../../ui/Field";
import { Card } from "../../ui/misc";
import { Popover } from "../../ui/Popover";
import { formatDateTime } from "../../ui/format";
import { canCancel, isActive, jobKeys, jobsApi, pollInterval, type JobItem } from "./api";
import { CancelJobButton, JobProgressBar, JobStateBadge } from "./JobBits";
import "./jobs.css";

const SHOWN = 5;

/** Your latest jobs; polled every 2 s while one has work ahead of it. The card and the top bar share it. */
function useMyJobs() {
  return useQuery({
    queryKey: jobKeys.mine,
    queryFn: () => jobsApi.mine({ per_page: SHOWN }),
    refetchInterval: (q) => pollInterval(q.state.data?.items),
  });
}

function MyJobsList({ items, canWrite }: { items: JobItem[]; canWrite: boolean }) {
  return (
    <ul className="my-jobs" data-testid="background-work">
      {items.map((j) => (
        <li key={j.id} className="my-job" data-testid="my-job">
          <div className="my-job-head">
            <span className="my-job-label" title={j.label}>
              {j.label}
            </span>
            <JobStateBadge job={j} />
          </div>
          {(j.state === "running" || j.progress) && <JobProgressBar job={j} />}
          <div className="my-job-foot">
            <span className="small muted num">
              {j.finished_at ? `Ended ${formatDateTime(j.finished_at)}` : `Started ${formatDateTime(j.attempted_at ?? j.created_at)}`}
            </span>
            {canWrite && canCancel(j) && <CancelJobButton job={j} cancel={jobsApi.cancelMine} />}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The dashboard's card: a user's own background work — what runs (with progress and Cancel) and what ran lately. */
export function BackgroundWork({ canWrite }: { canWrite: boolean }) {
  const jobs = useMyJobs();
  const items = jobs.data?.items ?? [];
  return (
    <Card title="Background work" className="dash-jobs">
      {jobs.isPending ? (
        <p className="muted small">Loading…</p>
      ) : jobs.isError ? (
        <FormError message={errorMessage(jobs.error)} />
      ) : items.length === 0 ? (
        <div className="jobs-empty" data-testid="background-work-empty">
          <Activity size={16} aria-hidden />
          <p className="small muted">
            Nothing is running. Imports you start run here in the background: you can leave the page meanwhile.
            {canWrite && (
              <>
                {" "}
                <Link to="/leads?import=1">Import a CSV</Link>
              </>
            )}
          </p>
        </div>
      ) : (
        <MyJobsList items={items} canWrite={canWrite} />
      )}
      {jobs.data && jobs.data.total > SHOWN && (
        <p className="small muted">
          The latest {SHOWN} of {jobs.data.total.toLocaleString()}.
        </p>
      )}
    </Card>
  );
}

/** The top bar's button while some of your work runs in the background: opens the same list, from any page. */
export function BackgroundWorkButton({ canWrite }: { canWrite: boolean }) {
  const jobs = useMyJobs();
  const active = (jobs.data?.items ?? []).filter(isActive);
  if (active.length === 0) return null;
  const running = active.filter((j) => j.state === "running").length;
  return (
    <Popover
      className="topbar-jobs"
      align="right"
      icon={<Activity size={14} aria-hidden />}
      label={
        <>
          {running > 0 ? running : active.length}
          <span className="topbar-jobs-word">{running > 0 ? " running" : " waiting"}</span>
        </>
      }
      ariaLabel="Background work"
    >
      <div className="topbar-jobs-panel">
        <MyJobsList items={jobs.data?.items ?? []} canWrite={canWrite} />
        <p className="small">
          <Link to="/">All on the dashboard</Link>
        </p>
      </div>
    </Popover>
  );
}
