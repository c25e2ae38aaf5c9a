import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Play, RotateCw, Square } from "lucide-react";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { useToast } from "../../ui/Toasts";
import { canCancel, canResume, canRetryFailed, sessionKeys, sessionsApi, sessionTitle, type Session } from "./api";
import { storeSession } from "./live";

/** Cancel / Resume / Retry failed, as the session's status allows. `compact`: small buttons for a table row. */
export function SessionActions({ session, compact }: { session: Session; compact?: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const after = (verb: string) => ({
    onSuccess: (s: Session) => {
      storeSession(qc, s);
      qc.setQueryData(sessionKeys.latest, s);
      void qc.invalidateQueries({ queryKey: ["sessions", "list"] });
      void qc.invalidateQueries({ queryKey: ["sessions", "items", s.id] });
      toast.success(`${verb}: ${sessionTitle(s)}`);
    },
    onError: (e: unknown) => toast.error(e),
  });
  const cancel = useMutation({ mutationFn: () => sessionsApi.cancel(session.id), ...after("Stopping") });
  const resume = useMutation({ mutationFn: () => sessionsApi.resume(session.id), ...after("Resumed") });
  const retry = useMutation({ mutationFn: () => sessionsApi.retryFailed(session.id), ...after("Retrying the failed items") });
  const size = compact ? "sm" : "md";
  return (
    <span className="row gap session-actions">
      {canCancel(session) && (
        <Button
          size={size}
          variant="danger"
          icon={<Square size={12} aria-hidden />}
          loading={cancel.isPending}
          onClick={async () => {
            const ok = await confirm({
              title: "Cancel this session?",
              message: (
                <>
                  <p>
                    <strong>{sessionTitle(session)}</strong> stops at its next checkpoint.
                  </p>
                  <p className="muted">Every lead and draft saved so far stays. You can resume it later from where it stopped.</p>
                </>
              ),
              confirmLabel: "Cancel session",
              cancelLabel: "Keep running",
            });
            if (ok) cancel.mutate();
          }}
        >
          Cancel
        </Button>
      )}
      {canResume(session) && (
        <Button size={size} variant="primary" icon={<Play size={12} aria-hidden />} loading={resume.isPending} onClick={() => resume.mutate()}>
          Resume
        </Button>
      )}
      {canRetryFailed(session) && (
        <Button size={size} icon={<RotateCw size={12} aria-hidden />} loading={retry.isPending} onClick={() => retry.mutate()}>
          Retry failed
        </Button>
      )}
    </span>
  );
}
