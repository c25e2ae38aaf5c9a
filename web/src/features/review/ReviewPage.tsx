import { useEffect, useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { Check, MailCheck, RefreshCw, Save, X } from "lucide-react";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { useFilterParams } from "../../lib/useFilterParams";
import { Button } from "../../ui/Button";
import { FieldErrors, FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner, Spinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { dashboardKeys } from "../dashboard/api";
import { draftKeys, draftsApi, type Draft, type DraftStatus } from "./api";
import {
  checkEdit,
  editPatch,
  outcomeText,
  PER_PAGE,
  queryFromParams,
  selectionState,
  sessionLabel,
  STATUS_LABEL,
  STATUS_TONE,
  STATUSES,
  toggleAll,
  toggleOne,
  type EditErrors,
} from "./review";
import { sessionKeys, sessionsApi, sessionTitle } from "../sessions/api";
import "./review.css";

/** The review queue: drafts written by sessions (or from the grid), to edit, approve, reject or write again. */
export default function ReviewPage() {
  const user = useCurrentUser();
  const canWrite = user.role !== "viewer";
  const [params, update] = useFilterParams();
  const query = queryFromParams(params);
  const page = Math.max(1, Number(params.get("page")) || 1);
  const openId = params.get("draft") ?? "";
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const qc = useQueryClient();
  const toast = useToast();

  const list = useQuery({
    queryKey: draftKeys.list(query),
    queryFn: ({ signal }) => draftsApi.list(query, signal),
    placeholderData: keepPreviousData,
  });
  const facets = useQuery({ queryKey: draftKeys.facets, queryFn: draftsApi.facets, staleTime: 10_000 });
  // The session filter names sessions as the Sessions page does (the facets only carry their ids).
  const sessions = useQuery({
    queryKey: sessionKeys.list({ limit: 200 }),
    queryFn: ({ signal }) => sessionsApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });
  const sessionNames = new Map((sessions.data?.items ?? []).map((s) => [s.id, sessionTitle(s)]));

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: draftKeys.all });
    void qc.invalidateQueries({ queryKey: dashboardKeys.summary });
  };
  const review = useMutation({
    mutationFn: ({ ids, verb }: { ids: string[]; verb: "approved" | "rejected" }) =>
      (verb === "approved" ? draftsApi.approve(ids) : draftsApi.reject(ids)).then((r) => ({ ...r, asked: ids.length, verb })),
    onSuccess: (r) => {
      toast.success(outcomeText(r.updated, r.asked, r.verb));
      setSelected(new Set());
    },
    onError: (e) => toast.error(e),
    onSettled: refresh,
  });

  const items = list.data?.items ?? [];
  const pageIds = items.map((d) => d.id);
  const all = selectionState(pageIds, selected);
  const open = items.find((d) => d.id === openId);
  const filtered = !!(query.session_id || query.product_id || query.prompt_version || params.get("status"));
  const statusValue = params.get("status") ?? "pending";
  const f = facets.data;

  return (
    <div className="page review-page">
      <PageHeader
        title="Review"
        description="E-mail drafts written for your leads. Edit them, then approve (they wait for sending) or reject; write one again with a wish."
      />
      <Card>
        <div className="filters">
          <SelectField label="Session" name="session" value={query.session_id ?? ""} onChange={(e) => update({ session: e.target.value })}>
            <option value="">All sessions</option>
            {(f?.sessions ?? []).map((s) => (
              <option key={s.session_id} value={s.session_id}>
                {sessionLabel(s, formatDateTime, sessionNames.get(s.session_id))}
              </option>
            ))}
          </SelectField>
          <SelectField label="Product" name="product" value={query.product_id ?? ""} onChange={(e) => update({ product: e.target.value })}>
            <option value="">All products</option>
            {(f?.products ?? []).map((p) => (
              <option key={p.product_id} value={p.product_id}>
                {p.product_name} ({p.drafts})
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Prompt version"
            name="prompt_version"
            value={query.prompt_version ? String(query.prompt_version) : ""}
            onChange={(e) => update({ prompt_version: e.target.value })}
          >
            <option value="">All versions</option>
            {(f?.prompt_versions ?? []).map((v) => (
              <option key={v.prompt_version} value={String(v.prompt_version)}>
                Version {v.prompt_version} ({v.drafts})
              </option>
            ))}
          </SelectField>
          <SelectField label="Status" name="status" value={statusValue} onChange={(e) => update({ status: e.target.value === "pending" ? "" : e.target.value })}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
            <option value="all">every status</option>
          </SelectField>
          {filtered && (
            <Button size="sm" variant="ghost" className="filters-clear" onClick={() => update({ session: "", product: "", prompt_version: "", status: "" })}>
              Clear filters
            </Button>
          )}
        </div>
        {canWrite && selected.size > 0 && (
          <div className="review-bulk" role="region" aria-label="Selected drafts">
            <strong className="num">{selected.size}</strong> selected
            <Button
              size="sm"
              variant="primary"
              icon={<Check size={14} aria-hidden />}
              loading={review.isPending && review.variables?.verb === "approved"}
              disabled={review.isPending}
              onClick={() => review.mutate({ ids: [...selected], verb: "approved" })}
            >
              Approve
            </Button>
            <Button
              size="sm"
              icon={<X size={14} aria-hidden />}
              loading={review.isPending && review.variables?.verb === "rejected"}
              disabled={review.isPending}
              onClick={() => review.mutate({ ids: [...selected], verb: "rejected" })}
            >
              Reject
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
              Clear selection
            </Button>
          </div>
        )}
        {list.isPending ? (
          <PageSpinner />
        ) : list.isError ? (
          <FormError message={errorMessage(list.error)} />
        ) : items.length === 0 ? (
          <EmptyState icon={<MailCheck size={24} />} title={filtered ? "No drafts match these filters" : "No drafts wait for review"}>
            {filtered ? (
              "Pick another session, product, version or status, or clear the filters."
            ) : (
              <span data-testid="review-empty">
                Start a session or generate drafts from the grid: <Link to="/sessions">start a session</Link> to find and write to new leads, or select
                leads in the <Link to="/leads">grid</Link> and generate their e-mails.
              </span>
            )}
          </EmptyState>
        ) : (
          <div className={open ? "review-layout review-layout-open" : "review-layout"}>
            <div>
              <div className="table-wrap">
                <table className="table stack review-table" aria-busy={list.isFetching || undefined}>
                  <thead>
                    <tr>
                      {canWrite && (
                        <th scope="col" className="review-check">
                          <input
                            type="checkbox"
                            aria-label="Select all drafts on this page"
                            checked={all === "all"}
                            ref={(el) => {
                              if (el) el.indeterminate = all === "some";
                            }}
                            onChange={() => setSelected(toggleAll(pageIds, selected))}
                          />
                        </th>
                      )}
                      <th scope="col">Lead</th>
                      <th scope="col">Subject</th>
                      <th scope="col">Product</th>
                      <th scope="col">Status</th>
                      <th scope="col">Written</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((d) => (
                      <tr
                        key={d.id}
                        data-testid="draft-row"
                        className={d.id === openId ? "review-row review-row-open" : "review-row"}
                        onClick={() => update({ draft: d.id }, false)}
                      >
                        {canWrite && (
                          <td className="review-check" onClick={(e) => e.stopPropagation()}>
                            <input
                              type="checkbox"
                              aria-label={`Select the draft for @${d.username}`}
                              checked={selected.has(d.id)}
                              onChange={() => setSelected(toggleOne(d.id, selected))}
                            />
                          </td>
                        )}
                        <td data-label="Lead">
                          <button type="button" className="link-button review-lead" onClick={() => update({ draft: d.id }, false)}>
                            @{d.username}
                          </button>
                          <div className="small muted review-lead-meta">
                            {d.full_name && <span>{d.full_name} · </span>}
                            {d.email ? <span>{d.email}</span> : <span>no e-mail</span>}
                          </div>
                        </td>
                        <td data-label="Subject" className="review-subject" title={d.subject}>
                          {d.subject}
                        </td>
                        <td data-label="Product" className="small review-product" title={d.product_name ?? undefined}>
                          {d.product_name}
                          {d.prompt_version !== null && d.prompt_version !== undefined && <span className="muted"> · v{d.prompt_version}</span>}
                        </td>
                        <td data-label="Status">
                          <Badge tone={STATUS_TONE[d.status as DraftStatus] ?? "neutral"}>{STATUS_LABEL[d.status as DraftStatus] ?? d.status}</Badge>
                        </td>
                        <td data-label="Written" className="num nowrap small">
                          {formatDateTime(d.updated_at)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => update({ page: String(p) }, false)} />
            </div>
            {open && <DraftPanel key={`${open.id}:${open.updated_at}`} draft={open} canWrite={canWrite} onClose={() => update({ draft: "" }, false)} onChanged={refresh} />}
          </div>
        )}
      </Card>
    </div>
  );
}

/** The side panel: a draft's subject and body to edit, approve/reject, and writing it again with an instruction. */
function DraftPanel({ draft: d, canWrite, onClose, onChanged }: { draft: Draft; canWrite: boolean; onClose: () => void; onChanged: () => void }) {
  const toast = useToast();
  const [subject, setSubject] = useState(d.subject);
  const [body, setBody] = useState(d.body);
  const [instruction, setInstruction] = useState("");
  const [errors, setErrors] = useState<EditErrors>({});
  const [elapsed, setElapsed] = useState(0);
  const patch = editPatch(d, subject, body);

  const save = useMutation({
    mutationFn: (p: { subject?: string; body?: string }) => draftsApi.update(d.id, p),
    onSuccess: () => toast.success(`Saved the draft for @${d.username}`),
    onError: (e) => {
      if (e instanceof ApiError && e.code === "validation_failed") setErrors(e.fieldErrors);
      else toast.error(e);
    },
    onSettled: onChanged,
  });
  const review = useMutation({
    mutationFn: (verb: "approved" | "rejected") => (verb === "approved" ? draftsApi.approve([d.id]) : draftsApi.reject([d.id])).then(() => verb),
    onSuccess: (verb) => toast.success(`Draft for @${d.username} ${verb}`),
    onError: (e) => toast.error(e),
    onSettled: onChanged,
  });
  const regenerate = useMutation({
    mutationFn: () => draftsApi.regenerate(d.id, instruction.trim() || undefined),
    onSuccess: () => toast.success(`Wrote the draft for @${d.username} again`),
    onError: (e) => toast.error(e),
    onSettled: onChanged,
  });

  // The regeneration waits for the model: count the seconds so the wait shows.
  useEffect(() => {
    if (!regenerate.isPending) return;
    setElapsed(0);
    const t = window.setInterval(() => setElapsed((s) => s + 1), 1000);
    return () => window.clearInterval(t);
  }, [regenerate.isPending]);

  const onSave = () => {
    const errs = checkEdit(subject, body);
    setErrors(errs);
    if (Object.keys(errs).length || !patch) return;
    save.mutate(patch);
  };
  const busy = save.isPending || review.isPending || regenerate.isPending;
  const status = d.status as DraftStatus;

  return (
    <aside className="review-panel" aria-label={`Draft for @${d.username}`} data-testid="draft-panel">
      <div className="review-panel-head">
        <div>
          <h2>@{d.username}</h2>
          <div className="small muted">
            {d.email} · <Badge tone={STATUS_TONE[status] ?? "neutral"}>{STATUS_LABEL[status] ?? d.status}</Badge>
          </div>
        </div>
        <Button size="sm" variant="ghost" icon={<X size={14} aria-hidden />} aria-label="Close the draft" onClick={onClose} />
      </div>
      <form
        className="review-panel-body"
        onSubmit={(e) => {
          e.preventDefault();
          onSave();
        }}
      >
        <TextField label="Subject" name="subject" value={subject} maxLength={500} disabled={!canWrite || busy} errors={errors.subject} onChange={(e) => setSubject(e.target.value)} />
        <div className="field">
          <label htmlFor={`draft-body-${d.id}`}>Body</label>
          <textarea
            id={`draft-body-${d.id}`}
            className="input textarea review-body"
            rows={14}
            value={body}
            disabled={!canWrite || busy}
            aria-invalid={errors.body ? true : undefined}
            aria-describedby={errors.body ? `draft-body-err-${d.id}` : undefined}
            onChange={(e) => setBody(e.target.value)}
          />
          <FieldErrors id={`draft-body-err-${d.id}`} errors={errors.body} />
        </div>
        {canWrite && (
          <div className="review-panel-actions">
            <Button type="submit" size="sm" icon={<Save size={14} aria-hidden />} loading={save.isPending} disabled={busy || !patch}>
              Save
            </Button>
            <Button
              size="sm"
              variant="primary"
              icon={<Check size={14} aria-hidden />}
              loading={review.isPending && review.variables === "approved"}
              disabled={busy || !!patch || status === "approved" || status === "sent"}
              title={patch ? "Save your changes first" : undefined}
              onClick={() => review.mutate("approved")}
            >
              Approve
            </Button>
            <Button
              size="sm"
              icon={<X size={14} aria-hidden />}
              loading={review.isPending && review.variables === "rejected"}
              disabled={busy || status === "rejected" || status === "sent"}
              onClick={() => review.mutate("rejected")}
            >
              Reject
            </Button>
          </div>
        )}
      </form>
      {canWrite && (
        <section className="review-regenerate" aria-label="Write again">
          <h3>Write it again</h3>
          <TextField
            label="Instruction (optional)"
            name="instruction"
            placeholder="e.g. shorter, mention the spring discount"
            value={instruction}
            maxLength={2000}
            disabled={busy}
            onChange={(e) => setInstruction(e.target.value)}
          />
          <div className="review-panel-actions">
            <Button size="sm" icon={<RefreshCw size={14} aria-hidden />} loading={regenerate.isPending} disabled={busy} onClick={() => regenerate.mutate()}>
              Regenerate
            </Button>
            {regenerate.isPending && (
              <span className="small muted" role="status" data-testid="regenerating">
                <Spinner size={12} /> Writing a new draft… {elapsed > 0 ? `${elapsed} s` : ""}
              </span>
            )}
          </div>
          <p className="small muted">Replaces subject and body (your edits too) and puts the draft back to review. One OpenAI call.</p>
        </section>
      )}
      <dl className="review-meta small">
        <dt>Product</dt>
        <dd>{d.product_name}</dd>
        <dt>Prompt</dt>
        <dd>{d.prompt_version ? `version ${d.prompt_version}` : "built-in default"}</dd>
        <dt>Model</dt>
        <dd>{d.model}</dd>
        <dt>Language</dt>
        <dd>{d.language}</dd>
        {d.instruction && (
          <>
            <dt>Instruction</dt>
            <dd>{d.instruction}</dd>
          </>
        )}
        <dt>Cost</dt>
        <dd className="num">
          ${d.cost_usd.toFixed(4)} · {(d.prompt_tokens + d.completion_tokens).toLocaleString()} tokens
        </dd>
        <dt>Written</dt>
        <dd className="num">{formatDateTime(d.updated_at)}</dd>
      </dl>
    </aside>
  );
}
