import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { jobKeys } from "../jobs/api";
import { Upload } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError } from "../../ui/Field";
import { Modal } from "../../ui/Modal";
import { useConfirm } from "../../ui/ConfirmDialog";
import { importsApi, isMissingRoute, type ImportDraft, type ImportRun, type ImportStatus } from "./api";
import { IMPORT_FIELDS, guessMapping } from "./importGuess";
import { rowsToImport, runLabel } from "./importCheck";

type Step = "pick" | "map" | "run" | "done";
const FINISHED = ["done", "failed", "interrupted", "cancelled"];

/** CSV import: upload → mapping (guessed) with a validated preview → dedupe choice → progress → report. */
export default function ImportDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [step, setStep] = useState<Step>("pick");
  const [csv, setCsv] = useState("");
  const [fileName, setFileName] = useState("");
  const [draft, setDraft] = useState<ImportDraft | null>(null);
  const [mapping, setMapping] = useState<Array<string | null>>([]);
  const [dedupe, setDedupe] = useState<ImportRun["dedupe"]>("skip");
  const [key, setKey] = useState<ImportRun["key"]>("username");
  const [status, setStatus] = useState<ImportStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const previewSeq = useRef(0);
  const confirm = useConfirm();
  const qc = useQueryClient();

  const fields = draft?.fields?.length ? draft.fields : IMPORT_FIELDS.map((f) => f.id);
  const labelOf = (f: string) => IMPORT_FIELDS.find((x) => x.id === f)?.label ?? f;

  const upload = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await importsApi.upload(csv, fileName || undefined);
      // The server's guess wins; ours fills the columns it left out.
      const ours = guessMapping(d.headers);
      const m = d.headers.map((h, i) => d.mapping?.[i] ?? (ours[h] && !d.mapping?.includes(ours[h]) ? ours[h] : null));
      setDraft(d);
      setMapping(m);
      setStep("map");
    } catch (e) {
      setError(isMissingRoute(e) ? "CSV import is not available on this server yet." : errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const remap = async (next: Array<string | null>) => {
    setMapping(next);
    if (!draft) return;
    const seq = ++previewSeq.current;
    try {
      const d = await importsApi.preview(draft.id, next);
      if (seq === previewSeq.current) setDraft(d);
    } catch (e) {
      if (seq === previewSeq.current && !isMissingRoute(e)) setError(errorMessage(e));
    }
  };

  const run = async () => {
    if (!draft) return;
    setBusy(true);
    setError(null);
    try {
      setStatus(await importsApi.run(draft.id, { mapping, dedupe, key }));
      setStep("run");
      // The import runs as a background job: the top bar and the dashboard show it.
      void qc.invalidateQueries({ queryKey: jobKeys.all });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  /** Stops the running import at its next commit; the leads written so far stay. The poll then shows it cancelled. */
  const cancelRun = async () => {
    if (!draft) return;
    const ok = await confirm({
      title: "Cancel this import?",
      message: "It stops at its next step. Leads imported so far stay in your workspace; the uploaded file is removed.",
      confirmLabel: "Cancel import",
      cancelLabel: "Keep importing",
    });
    if (!ok) return;
    setCancelling(true);
    setError(null);
    try {
      setStatus(await importsApi.cancel(draft.id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setCancelling(false);
    }
  };

  useEffect(() => {
    if (step !== "run" || !draft) return;
    let stop = false;
    let timer = 0;
    const tick = async () => {
      try {
        const s = await importsApi.status(draft.id);
        if (stop) return;
        setStatus(s);
        if (FINISHED.includes(s.status)) {
          void qc.invalidateQueries({ queryKey: jobKeys.all });
          setStep("done");
          onDone();
          return;
        }
      } catch (e) {
        if (!stop) setError(errorMessage(e));
      }
      if (!stop) timer = window.setTimeout(tick, 500);
    };
    void tick();
    return () => {
      stop = true;
      window.clearTimeout(timer);
    };
  }, [step, draft]); // eslint-disable-line react-hooks/exhaustive-deps

  const mapped = mapping.filter((f): f is string => !!f);
  const dupField = mapped.find((f, i) => mapped.indexOf(f) !== i);
  const needs = key === "email" ? "email" : "username";
  const check = draft?.check ?? null;
  const willImport = draft ? rowsToImport(check, dedupe, draft.total_rows) : 0;
  const canRun = !!draft && mapped.includes("username") && mapped.includes(needs) && !dupField && willImport > 0;
  const pct = status && status.total_rows ? Math.round((100 * status.processed) / status.total_rows) : step === "done" ? 100 : 0;

  return (
    <Modal
      title="Import leads from CSV"
      onClose={onClose}
      width={step === "map" ? 960 : 520}
      dismissable={step !== "run"}
      footer={
        step === "pick" ? (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button variant="primary" onClick={() => void upload()} loading={busy} disabled={!csv.trim()}>
              Upload and preview
            </Button>
          </>
        ) : step === "map" ? (
          <>
            <Button onClick={() => setStep("pick")}>Back</Button>
            <Button variant="primary" onClick={() => void run()} loading={busy} disabled={!canRun}>
              {runLabel(willImport)}
            </Button>
          </>
        ) : step === "done" ? (
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        ) : step === "run" ? (
          <Button variant="danger" onClick={() => void cancelRun()} loading={cancelling} disabled={status?.status !== "running"}>
            Cancel import
          </Button>
        ) : undefined
      }
    >
      <div className="stack import">
        <FormError message={error} />
        {step === "pick" && (
          <>
            <label className="file-drop">
              <Upload size={18} aria-hidden />
              <span>{fileName ? fileName : "Choose a .csv file"}</span>
              <input
                type="file"
                accept=".csv,text/csv"
                aria-label="CSV file"
                onChange={async (e) => {
                  const f = e.target.files?.[0];
                  if (!f) return;
                  setFileName(f.name);
                  setCsv(await f.text());
                }}
              />
            </label>
            <details>
              <summary className="small">…or paste CSV text</summary>
              <textarea className="input textarea" rows={6} aria-label="CSV text" value={csv} onChange={(e) => setCsv(e.target.value)} />
            </details>
            <p className="small muted">The first line must name the columns. You check where each one goes on the next step.</p>
          </>
        )}
        {step === "map" && draft && (
          <>
            <p className="small muted">
              {draft.total_rows.toLocaleString()} rows in {draft.filename}. Check where each column goes; the first rows are checked as they would be
              imported, cells that would be refused are marked.
            </p>
            <div className="table-wrap import-preview">
              <table className="table">
                <thead>
                  <tr>
                    <th>Row</th>
                    {draft.headers.map((h, i) => (
                      <th key={i}>
                        <div className="small">{h}</div>
                        <select
                          className="input input-sm"
                          aria-label={`Field for column ${h}`}
                          value={mapping[i] ?? ""}
                          onChange={(e) => void remap(mapping.map((m, j) => (j === i ? e.target.value || null : m)))}
                        >
                          <option value="">— skip —</option>
                          {fields.map((f) => (
                            <option key={f} value={f}>
                              {labelOf(f)}
                            </option>
                          ))}
                        </select>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {draft.preview.map((row) => {
                    const errs = (row.errors ?? {}) as Record<string, string>;
                    const rowWide = Object.entries(errs).filter(([f]) => !mapping.includes(f));
                    return (
                      <tr key={row.row} data-testid="import-row">
                        <td className="num muted">
                          {row.row}
                          {rowWide.length > 0 && <div className="field-error">{rowWide.map(([f, m]) => `${f}: ${m}`).join("; ")}</div>}
                        </td>
                        {draft.headers.map((_h, i) => {
                          const f = mapping[i];
                          const msg = f ? errs[f] : undefined;
                          return (
                            <td key={i} className={msg ? "cell-error" : ""} title={msg}>
                              {row.values[i] ?? ""}
                              {msg && <div className="field-error">{msg}</div>}
                            </td>
                          );
                        })}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {check && (
              <div className="import-check" data-testid="import-check" aria-label="Before you import">
                <span className="import-check-item ok">
                  <strong className="num">{check.new_rows.toLocaleString()}</strong> new
                </span>
                <span className={`import-check-item ${check.existing ? "warn" : ""}`}>
                  <strong className="num">{check.existing.toLocaleString()}</strong> already {check.existing === 1 ? "a lead" : "leads"}
                </span>
                <span className={`import-check-item ${check.duplicates_in_file ? "warn" : ""}`}>
                  <strong className="num">{check.duplicates_in_file.toLocaleString()}</strong> repeat{check.duplicates_in_file === 1 ? "s" : ""} an earlier row
                </span>
                <span className={`import-check-item ${check.bad_rows ? "bad" : ""}`}>
                  <strong className="num">{check.bad_rows.toLocaleString()}</strong> will fail
                </span>
                {check.bad.length > 0 && (
                  <details className="import-check-bad">
                    <summary className="small">Why rows will fail</summary>
                    <ul className="small">
                      {check.bad.map((e, i) => (
                        <li key={i}>
                          Row {e.row}
                          {e.field ? ` (${labelOf(e.field)})` : ""}: {e.message}
                        </li>
                      ))}
                      {check.bad_rows > check.bad.length && <li>…and more</li>}
                    </ul>
                  </details>
                )}
              </div>
            )}
            {dupField && <div className="field-error">Two columns go to the same field ({labelOf(dupField)}).</div>}
            {!mapped.includes("username") && <div className="field-error">Map a column to Username: every lead needs one.</div>}
            <div className="row gap">
              <label className="row gap small">
                Find duplicates by
                <select className="input input-sm" aria-label="Match duplicates by" value={key} onChange={(e) => setKey(e.target.value as ImportRun["key"])}>
                  <option value="username">username</option>
                  <option value="email">email</option>
                </select>
              </label>
              <label className="row gap small">
                When a lead exists
                <select className="input input-sm" aria-label="When a lead exists" value={dedupe} onChange={(e) => setDedupe(e.target.value as ImportRun["dedupe"])}>
                  <option value="skip">skip the row</option>
                  <option value="update">update the lead</option>
                  <option value="keep_both">keep both</option>
                </select>
              </label>
            </div>
          </>
        )}
        {(step === "run" || step === "done") && status && (
          <>
            <div className="progress" role="progressbar" aria-label="Import progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <div className="progress-bar" style={{ width: `${pct}%` }} />
            </div>
            <p className="num small">
              {status.processed.toLocaleString()} of {status.total_rows.toLocaleString()} rows · {status.status}
            </p>
            {status.status === "cancelled" && (
              <p className="notice" role="status" data-testid="import-cancelled">
                Import cancelled: {status.inserted.toLocaleString()} lead{status.inserted === 1 ? "" : "s"} added before the stop stay in your workspace. Upload the file
                again to import the rest.
              </p>
            )}
            {step === "done" && (
              <dl className="facts compact" data-testid="import-report">
                <div>
                  <dt>Added</dt>
                  <dd className="num">{status.inserted}</dd>
                </div>
                <div>
                  <dt>Updated</dt>
                  <dd className="num">{status.updated}</dd>
                </div>
                <div>
                  <dt>Skipped</dt>
                  <dd className="num">{status.skipped}</dd>
                </div>
                <div>
                  <dt>Failed</dt>
                  <dd className="num">{status.failed}</dd>
                </div>
              </dl>
            )}
            {status.errors.length > 0 && (
              <ul className="small field-error" aria-label="Rows not imported">
                {status.errors.slice(0, 20).map((e, i) => (
                  <li key={i}>
                    Row {e.row}
                    {e.field ? ` (${e.field})` : ""}: {e.message}
                  </li>
                ))}
                {status.errors.length > 20 && <li>…and {status.errors.length - 20} more</li>}
              </ul>
            )}
            {step === "done" && status.skipped_rows.length > 0 && (
              <details className="small" data-testid="import-skipped">
                <summary>Rows skipped ({status.skipped.toLocaleString()})</summary>
                <ul aria-label="Rows skipped">
                  {status.skipped_rows.slice(0, 50).map((e, i) => (
                    <li key={i}>
                      Row {e.row}: {e.message}
                    </li>
                  ))}
                  {status.skipped > 50 && <li>…and {(status.skipped - Math.min(50, status.skipped_rows.length)).toLocaleString()} more</li>}
                </ul>
              </details>
            )}
          </>
        )}
      </div>
    </Modal>
  );
}
