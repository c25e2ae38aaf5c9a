import { useEffect, useState } from "react";
import { Check, Circle, CircleSlash, Hourglass, Loader2, X } from "lucide-react";
import { Badge } from "../../ui/misc";
import {
  currentStage,
  etaText,
  pauseLeft,
  pauseText,
  stagePercents,
  STAGE_LABEL,
  STATUS_LABEL,
  STATUS_TONE,
  type Session,
  type StageProgress,
} from "./api";

export function SessionStatusBadge({ session }: { session: Pick<Session, "status"> }) {
  return (
    <Badge tone={STATUS_TONE[session.status]} title={session.status}>
      {STATUS_LABEL[session.status]}
    </Badge>
  );
}

/** The current time, ticking every `ms` while `on`. */
export function useNow(ms = 1000, on = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms, on]);
  return now;
}

/** A stage's bar: done in green, failed in red, with "done of total" (and failed) under it. */
export function StageBar({ progress, label, running }: { progress: StageProgress; label: string; running?: boolean }) {
  const pct = stagePercents(progress);
  return (
    <div className="stage-bar">
      <div
        className="progress session-progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct.done + pct.failed}
        aria-valuetext={`${progress.done.toLocaleString()} of ${progress.total.toLocaleString()} done${progress.failed ? `, ${progress.failed.toLocaleString()} failed` : ""}`}
      >
        <div className={`progress-bar ${running ? "" : "progress-bar-idle-brand"}`} style={{ width: `${pct.done}%` }} />
        {pct.failed > 0 && <div className="progress-bar progress-bar-failed" style={{ width: `${pct.failed}%` }} />}
      </div>
      <span className="small muted num stage-bar-text">
        {progress.total > 0 ? `${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}` : progress.status === "pending" ? "not started" : `${progress.done.toLocaleString()} done`}
        {progress.failed > 0 && <span className="stage-failed"> · {progress.failed.toLocaleString()} failed</span>}
      </span>
    </div>
  );
}

/** The list's and the dashboard's view: the current stage's name and bar. */
export function CurrentProgress({ session }: { session: Session }) {
  const cur = currentStage(session);
  if (!cur) return <span className="muted">—</span>;
  const label = STAGE_LABEL[cur.stage];
  return (
    <div className="current-progress">
      <span className="small current-stage">
        {label}
        {session.stage_progress.length > 1 && (
          <span className="muted">
            {" "}
            · stage {session.stage_progress.findIndex((p) => p.stage === cur.stage) + 1} of {session.stage_progress.length}
          </span>
        )}
      </span>
      <StageBar progress={cur} label={`Progress of ${label}`} running={session.status === "running"} />
    </div>
  );
}

/** "waiting 47 s before the next batch", counting down; nothing without a pause. */
export function PauseNote({ pause }: { pause: Session["pause"] }) {
  const now = useNow(1000, !!pause);
  const text = pauseText(pauseLeft(pause, now));
  if (!text) return null;
  return (
    <span className="pause-note" data-testid="session-pause" role="status">
      <Hourglass size={14} aria-hidden /> {text}
    </span>
  );
}

export function EtaNote({ session }: { session: Session }) {
  const t = session.status === "running" ? etaText(session.eta_seconds) : null;
  return t ? <span className="small muted">{t}</span> : null;
}

const STEP_ICON = {
  pending: <Circle size={14} aria-hidden />,
  running: <Loader2 size={14} aria-hidden className="spin" />,
  done: <Check size={14} aria-hidden />,
  skipped: <CircleSlash size={14} aria-hidden />,
  failed: <X size={14} aria-hidden />,
};

/** Every stage of the session in order, with its state and its bar. */
export function StageStepper({ session }: { session: Session }) {
  return (
    <ol className="stage-stepper" aria-label="Stages">
      {session.stage_progress.map((p, i) => (
        <li key={p.stage} className={`stage-step stage-${p.status}`} data-testid="stage-step" data-stage={p.stage} data-status={p.status}>
          <div className="stage-step-head">
            <span className="stage-step-icon">{STEP_ICON[p.status]}</span>
            <span className="stage-step-name">
              <span className="muted num">{i + 1}.</span> {STAGE_LABEL[p.stage]}
            </span>
            <span className="small muted stage-step-status">{p.status}</span>
          </div>
          <StageBar progress={p} label={`Progress of ${STAGE_LABEL[p.stage]}`} running={p.status === "running"} />
        </li>
      ))}
    </ol>
  );
}
