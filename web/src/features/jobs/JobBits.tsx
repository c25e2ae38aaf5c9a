import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Square } from "lucide-react";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { Badge } from "../../ui/misc";
import { useToast } from "../../ui/Toasts";
import { jobKeys, percent, stateText, STATE_TONE, type JobItem } from "./api";

export function JobStateBadge({ job }: { job: JobItem }) {
  return (
    <Badge tone={job.cancel_requested && job.state === "running" ? "amber" : STATE_TONE[job.state]} title={job.state}>
      {stateText(job)}
    </Badge>
  );
}

/** A bar for a job with a known total, "n done" otherwise; nothing before it reports any progress. */
export function JobProgressBar({ job }: { job: JobItem }) {
  const pct = percent(job);
  const p = job.progress;
  if (!p && job.state !== "completed") return <span className="muted">—</span>;
  return (
    <div className="job-progress">
      {pct !== null && (
        <div
          className="progress"
          role="progressbar"
          aria-label={`Progress of ${job.label}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
        >
          <div className={`progress-bar ${job.state === "running" ? "" : "progress-bar-idle"}`} style={{ width: `${pct}%` }} />
        </div>
      )}
      {p && (
        <span className="small num muted job-progress-text">
          {p.done.toLocaleString()}
          {p.total !== null && p.total !== undefined ? ` of ${p.total.toLocaleString()}` : " done"}
          {pct !== null ? ` · ${pct} %` : ""}
        </span>
      )}
    </div>
  );
}

/** Cancel, after a confirmation that says what is kept. `admin`: through the admin route (any owner's job). */
export function CancelJobButton({ job, admin, cancel }: { job: JobItem; admin?: boolean; cancel: (id: string) => Promise<JobItem> }) {
  const confirm = useConfirm();
  const toast = useToast();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => cancel(job.id),
    onSuccess: (j) => {
      toast.success(j.state === "cancelled" ? `Cancelled: ${j.label}` : `Stopping: ${j.label}`);
      void qc.invalidateQueries({ queryKey: jobKeys.all });
    },
    onError: (e) => toast.error(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: jobKeys.all }),
  });
  const isImport = job.kind === "leads.import";
  return (
    <Button
      size="sm"
      variant="danger"
      icon={<Square size={12} aria-hidden />}
      loading={m.isPending}
      onClick={async () => {
        const ok = await confirm({
          title: isImport ? "Cancel this import?" : "Cancel this job?",
          message: (
            <>
              <p>
                <strong>{job.label}</strong>
                {admin && job.owner_username ? ` (started by ${job.owner_username})` : ""} stops at its next checkpoint.
              </p>
              <p className="muted">
                {isImport
                  ? "Leads imported so far stay in the workspace; the uploaded file is removed. Upload the file again to import the rest."
                  : "What it has done so far stays."}
              </p>
            </>
          ),
          confirmLabel: isImport ? "Cancel import" : "Cancel job",
          cancelLabel: "Keep running",
        });
        if (ok) m.mutate();
      }}
    >
      Cancel
    </Button>
  );
}
