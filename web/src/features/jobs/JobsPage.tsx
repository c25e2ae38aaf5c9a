import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { Cog, RotateCw } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { useFilterParams } from "../../lib/useFilterParams";
import { Button } from "../../ui/Button";
import { FormError, SelectField } from "../../ui/Field";
import { Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { canCancel, canRetry, jobKeys, jobsApi, JOB_STATES, pollInterval, STATE_LABEL, type JobItem, type JobQuery, type JobState, type QueueCounts } from "./api";
import { CancelJobButton, JobProgressBar, JobStateBadge } from "./JobBits";
import "../../styles/admin.css";
import "./jobs.css";

const PER_PAGE = 50;

/** Counts shown on a queue's card, and the state each filters the table by. */
const QUEUE_FIGURES: Array<{ label: string; state: JobState; count: (q: QueueCounts) => number }> = [
  { label: "Running", state: "running", count: (q) => q.running },
  { label: "Waiting", state: "available", count: (q) => q.available + q.scheduled },
  { label: "Retrying", state: "retryable", count: (q) => q.retryable },
  { label: "Failed", state: "discarded", count: (q) => q.discarded },
  { label: "Completed", state: "completed", count: (q) => q.completed },
  { label: "Cancelled", state: "cancelled", count: (q) => q.cancelled },
];

/** The admin Jobs page: every queue with its counts, and every user's jobs (running first) to retry or cancel. */
export default function JobsPage() {
  const [params, update] = useFilterParams();
  const queue = params.get("queue") ?? "";
  const state = (params.get("state") ?? "") as JobState | "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const query: JobQuery = { queue: queue || undefined, state: state || undefined, page, per_page: PER_PAGE };
  const jobs = useQuery({
    queryKey: jobKeys.admin(query),
    queryFn: ({ signal }) => jobsApi.list(query, signal),
    placeholderData: keepPreviousData,
    // Every 2 s while any queue has work ahead of it (not only the jobs on this page).
    refetchInterval: (q) => {
      const queues = q.state.data?.queues ?? [];
      const busy = queues.some((c) => c.running + c.available + c.scheduled + c.retryable > 0);
      return busy ? 2000 : pollInterval(q.state.data?.items);
    },
  });
  const filtered = !!(queue || state);
  const d = jobs.data;
  return (
    <div className="page jobs-page">
      <PageHeader
        title="Jobs"
        description="Background work of every user: imports today, crawls and sends later. Updates every 2 s while something runs."
      />
      {d && (
        <div className="queue-cards" data-testid="queue-cards">
          {d.queues.map((q) => (
            <section key={q.queue} className={`card queue-card ${queue === q.queue ? "queue-card-on" : ""}`} aria-label={`Queue ${q.queue}`} data-testid="queue-card">
              <div className="queue-card-head">
                <button type="button" className="link-button queue-name" onClick={() => update({ queue: queue === q.queue ? "" : q.queue, state: "" })}>
                  {q.queue}
                </button>
              </div>
              <dl className="queue-figures">
                {QUEUE_FIGURES.map((f) => {
                  const n = f.count(q);
                  return (
                    <div key={f.label} className={n > 0 ? `queue-figure queue-figure-${f.state}` : "queue-figure queue-figure-zero"}>
                      <dt>{f.label}</dt>
                      <dd className="num">
                        <button type="button" className="link-button" title={`Show ${f.label.toLowerCase()} jobs of ${q.queue}`} onClick={() => update({ queue: q.queue, state: f.state })}>
                          {n.toLocaleString()}
                        </button>
                      </dd>
                    </div>
                  );
                })}
              </dl>
            </section>
          ))}
        </div>
      )}
      <Card>
        <div className="filters">
          <SelectField label="Queue" name="queue" value={queue} onChange={(e) => update({ queue: e.target.value })}>
            <option value="">All queues</option>
            {(d?.queues ?? []).map((q) => (
              <option key={q.queue} value={q.queue}>
                {q.queue}
              </option>
            ))}
          </SelectField>
          <SelectField label="State" name="state" value={state} onChange={(e) => update({ state: e.target.value })}>
            <option value="">All states</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </SelectField>
          {filtered && (
            <Button size="sm" variant="ghost" className="filters-clear" onClick={() => update({ queue: "", state: "" })}>
              Clear filters
            </Button>
          )}
        </div>
        {jobs.isPending ? (
          <PageSpinner />
        ) : jobs.isError ? (
          <FormError message={errorMessage(jobs.error)} />
        ) : jobs.data.items.length === 0 ? (
          <EmptyState icon={<Cog size={24} />} title={filtered ? "No jobs match these filters" : "No background jobs yet"}>
            {filtered ? (
              "Pick another queue or state, or clear the filters."
            ) : (
              <>
                Jobs appear here when someone starts background work, such as a CSV import from <Link to="/leads?import=1">Leads → Import CSV</Link>. Finished jobs are
                removed after a week.
              </>
            )}
          </EmptyState>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table stack jobs-table" aria-busy={jobs.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Owner</th>
                    <th scope="col">State</th>
                    <th scope="col" className="jobs-progress-col">
                      Progress
                    </th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col">Last error</th>
                    <th scope="col">When</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.data.items.map((j) => (
                    <JobRow key={j.id} job={j} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={jobs.data.page} perPage={jobs.data.per_page} total={jobs.data.total} onPage={(p) => update({ page: String(p) }, false)} />
          </>
        )}
      </Card>
    </div>
  );
}

function JobRow({ job: j }: { job: JobItem }) {
  const qc = useQueryClient();
  const toast = useToast();
  const retry = useMutation({
    mutationFn: () => jobsApi.retry(j.id),
    onSuccess: (r) => toast.success(`Queued again: ${r.label}`),
    onError: (e) => toast.error(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: jobKeys.all }),
  });
  return (
    <tr data-testid="job-row" data-state={j.state}>
      <td data-label="Job">
        <div className="job-label" title={j.label}>
          {j.label}
        </div>
        <div className="small muted">
          <code>{j.kind}</code> · {j.queue}
        </div>
      </td>
      <td data-label="Owner">{j.owner_username ?? <span className="muted">system</span>}</td>
      <td data-label="State">
        <JobStateBadge job={j} />
      </td>
      <td data-label="Progress" className="jobs-progress-col">
        <JobProgressBar job={j} />
      </td>
      <td data-label="Attempts" className="num nowrap">
        {j.attempt} / {j.max_attempts}
      </td>
      <td data-label="Last error" className="job-error">
        {j.last_error ? (
          <span className="job-error-text" title={j.last_error}>
            {j.last_error}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="When" className="num nowrap small">
        {j.finished_at ? (
          <span title="Ended">{formatDateTime(j.finished_at)}</span>
        ) : j.state === "running" ? (
          <span title="Started">{formatDateTime(j.attempted_at)}</span>
        ) : (
          <span title="Runs at">{formatDateTime(j.run_at)}</span>
        )}
      </td>
      <td className="actions">
        <div className="row-actions">
          {canRetry(j) && (
            <Button size="sm" icon={<RotateCw size={12} aria-hidden />} loading={retry.isPending} onClick={() => retry.mutate()}>
              Retry
            </Button>
          )}
          {canCancel(j) && <CancelJobButton job={j} admin cancel={jobsApi.cancel} />}
        </div>
      </td>
    </tr>
  );
}
