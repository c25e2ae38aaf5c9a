import { useEffect, useId, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FileText, Plus, Trash2 } from "lucide-react";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Card, EmptyState, PageHeader } from "../../ui/misc";
import { Popover } from "../../ui/Popover";
import { PageSpinner, Spinner } from "../../ui/Spinner";
import { formatDateTime } from "../../ui/format";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { leadKeys, leadsApi, productsApi, promptsApi, type LeadDto, type PromptDto, type TemplateError } from "../leads/api";
import { TemplateEditor, type TemplateEditorHandle } from "./TemplateEditor";
import "./prompts.css";

// A new prompt starts valid with any product or none: only lead and product fields, which always exist
// (a product's own variables and their [IF name_enabled] flags are offered by "Insert variable").
export const STARTER = `Write a short, friendly email in German to {{full_name}} (@{{username}}).
Say what caught your eye on their profile ({{business_category}}) and introduce {{product_name}}: {{product_description}}
Keep it under 120 words and end with a question.
`;

/** The template errors of a 422 save answer (`details.fields.body`), or []. */
export function templateErrors(e: unknown): TemplateError[] {
  if (!(e instanceof ApiError)) return [];
  const body = (e.details?.fields as Record<string, unknown> | undefined)?.body;
  if (!Array.isArray(body)) return [];
  return body
    .filter((x): x is TemplateError => !!x && typeof x === "object" && typeof (x as TemplateError).message === "string")
    .map((x) => ({ ...x, line: Number(x.line) || 1, column: Number(x.column) || 1 }));
}

export default function PromptsPage() {
  const { id } = useParams();
  const me = useCurrentUser();
  const readOnly = me.role === "viewer";
  const prompts = useQuery({ queryKey: leadKeys.prompts, queryFn: promptsApi.list });
  const navigate = useNavigate();
  const [lead, setLead] = useState<LeadDto | null>(null);
  const list = prompts.data ?? [];
  useEffect(() => {
    if (!id && list.length) navigate(`/prompts/${list[0].id}`, { replace: true });
  }, [id, list, navigate]);

  return (
    <div className="page page-wide">
      <PageHeader
        title="Prompts"
        description="System prompts for outreach emails. Use {{variables}} and [IF flag] … [ELSE] … [/IF] blocks."
        actions={
          !readOnly && (
            <Button variant="primary" icon={<Plus size={14} aria-hidden />} onClick={() => navigate("/prompts/new")}>
              New prompt
            </Button>
          )
        }
      />
      {prompts.isPending ? (
        <PageSpinner />
      ) : prompts.isError ? (
        <FormError message={errorMessage(prompts.error)} />
      ) : !list.length && id !== "new" ? (
        <Card>
          <EmptyState icon={<FileText size={28} />} title="No prompts yet">
            {readOnly ? "Nothing to show yet." : <Link to="/prompts/new">Write your first prompt</Link>}
          </EmptyState>
        </Card>
      ) : (
        <div className="prompts-layout">
          <nav aria-label="Prompts">
            <ul className="prompt-list">
              {list.map((p) => (
                <li key={p.id}>
                  <Link to={`/prompts/${p.id}`} className={p.id === id ? "active" : ""}>
                    {p.name} <span className="small muted">v{p.version}</span>
                  </Link>
                </li>
              ))}
              {id === "new" && (
                <li>
                  <a className="active">New prompt</a>
                </li>
              )}
            </ul>
          </nav>
          {id && <PromptEditor key={id} id={id} prompt={list.find((p) => p.id === id) ?? null} readOnly={readOnly} lead={lead} setLead={setLead} />}
        </div>
      )}
    </div>
  );
}

function PromptEditor({
  id,
  prompt,
  readOnly,
  lead,
  setLead,
}: {
  id: string;
  prompt: PromptDto | null;
  readOnly: boolean;
  lead: LeadDto | null;
  setLead: (l: LeadDto | null) => void;
}) {
  const isNew = id === "new";
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const navigate = useNavigate();
  const editorId = useId();
  const [name, setName] = useState(prompt?.name ?? "");
  const [productId, setProductId] = useState<string>(prompt?.product_id ?? "");
  const [body, setBody] = useState(prompt?.body ?? (isNew ? STARTER : ""));
  const editor = useRef<TemplateEditorHandle | null>(null);
  useEffect(() => {
    if (prompt) {
      setName(prompt.name);
      setProductId(prompt.product_id ?? "");
      setBody(prompt.body);
    }
  }, [prompt?.id, prompt?.version]); // eslint-disable-line react-hooks/exhaustive-deps

  const products = useQuery({ queryKey: leadKeys.products, queryFn: productsApi.list });
  const vars = useQuery({ queryKey: leadKeys.variables(productId || null), queryFn: () => promptsApi.variables(productId || null) });
  const versions = useQuery({ queryKey: leadKeys.promptVersions(id), queryFn: () => promptsApi.versions(id), enabled: !isNew });

  const save = useMutation({
    mutationFn: (text: string) => {
      const input = { name: name.trim(), product_id: productId || null, body: text };
      return isNew ? promptsApi.create(input) : promptsApi.update(id, input);
    },
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: leadKeys.prompts });
      void qc.invalidateQueries({ queryKey: leadKeys.promptVersions(p.id) });
      toast.success(isNew ? "Prompt created." : `Saved (version ${p.version}).`);
      if (isNew) navigate(`/prompts/${p.id}`, { replace: true });
    },
  });
  const remove = useMutation({
    mutationFn: () => promptsApi.remove(id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: leadKeys.prompts });
      navigate("/prompts", { replace: true });
      toast.success("Prompt deleted.");
    },
    onError: (e) => toast.error(e),
  });
  // The save's template errors, while the text is still the one that was saved.
  const saveErrors = save.variables === body ? templateErrors(save.error) : [];
  const nameErrors = save.error instanceof ApiError ? save.error.fieldErrors.name : undefined;

  // Live preview, debounced.
  const previewInput = useDebounced(JSON.stringify({ body, product_id: productId || null, lead_id: lead?.id ?? null }), 400);
  const preview = useQuery({
    queryKey: ["prompts", "preview", previewInput],
    queryFn: () => promptsApi.preview(JSON.parse(previewInput)),
    placeholderData: (prev) => prev,
    staleTime: 60_000,
  });
  const errors: TemplateError[] = preview.data?.errors.length ? preview.data.errors : saveErrors;

  const generic = save.error && !saveErrors.length && !nameErrors ? errorMessage(save.error) : null;
  const errListId = `${editorId}-errors`;

  return (
    <div className="prompt-work">
      <Card title={isNew ? "New prompt" : `Edit prompt · version ${prompt?.version ?? "…"}`}>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(body);
          }}
        >
          <FormError message={generic} />
          <div className="row gap" style={{ alignItems: "flex-start" }}>
            <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required readOnly={readOnly} errors={nameErrors} fieldClassName="grow" />
            <SelectField label="Product" value={productId} onChange={(e) => setProductId(e.target.value)} disabled={readOnly}>
              <option value="">Default (any product)</option>
              {(products.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </SelectField>
          </div>
          <div className="field">
            <div className="row gap" style={{ justifyContent: "space-between" }}>
              <label htmlFor={editorId}>Template</label>
              {!readOnly && (
                <Popover label="Insert variable" align="right" ariaLabel="Insert variable">
                  {(close) => (
                    <div className="insert-menu">
                      <div className="small muted">Variables</div>
                      <div className="chip-btns">
                        {(vars.data?.variables ?? []).map((v) => (
                          <button
                            key={v}
                            type="button"
                            className="btn btn-sm"
                            onClick={() => {
                              editor.current?.insert(`{{${v}}}`);
                              close();
                            }}
                          >
                            {`{{${v}}}`}
                          </button>
                        ))}
                      </div>
                      <div className="small muted">Conditional blocks</div>
                      <div className="chip-btns">
                        {(vars.data?.flags ?? []).map((f) => (
                          <button
                            key={f}
                            type="button"
                            className="btn btn-sm"
                            onClick={() => {
                              editor.current?.insert(`[IF ${f}]…[ELSE]…[/IF]`);
                              close();
                            }}
                          >
                            [IF {f}]
                          </button>
                        ))}
                        {vars.data && !vars.data.flags.length && <span className="small muted">No flags: add variables to a product.</span>}
                      </div>
                    </div>
                  )}
                </Popover>
              )}
            </div>
            <TemplateEditor id={editorId} value={body} onChange={setBody} errors={errors} readOnly={readOnly} handleRef={editor} describedBy={errors.length ? errListId : undefined} />
            {errors.length > 0 && (
              <ul className="tpl-errors" id={errListId} role="alert" aria-label="Template errors">
                {errors.map((er, i) => (
                  <li key={i}>
                    <button type="button" onClick={() => editor.current?.jumpTo(er.line, er.column)}>
                      <span className="num">
                        {er.line}:{er.column}
                      </span>{" "}
                      {er.message}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          {!readOnly && (
            <div className="row gap">
              <Button type="submit" variant="primary" loading={save.isPending}>
                {isNew ? "Create prompt" : "Save"}
              </Button>
              {!isNew && (
                <Button
                  variant="danger"
                  icon={<Trash2 size={14} aria-hidden />}
                  onClick={async () => {
                    if (await confirm({ title: "Delete prompt?", message: `"${name}" and all its versions will be deleted.`, confirmLabel: "Delete" })) remove.mutate();
                  }}
                >
                  Delete
                </Button>
              )}
            </div>
          )}
          {!isNew && (
            <section aria-label="Versions">
              <h3 className="small strong">Versions</h3>
              {versions.isPending ? (
                <Spinner />
              ) : (
                <ol className="versions">
                  {(versions.data ?? []).map((v) => (
                    <li key={v.version} className="row gap small">
                      <span className="strong num">v{v.version}</span>
                      <span className="muted num">{formatDateTime(v.created_at)}</span>
                      {v.body !== body && !readOnly && (
                        <button type="button" className="link-btn" onClick={() => setBody(v.body)}>
                          Load into editor
                        </button>
                      )}
                    </li>
                  ))}
                </ol>
              )}
            </section>
          )}
        </form>
      </Card>
      <Card title="Preview">
        <div className="stack">
          <LeadPicker lead={lead} onPick={setLead} />
          <div className="preview-box" data-testid="prompt-preview" aria-live="polite" aria-busy={preview.isFetching}>
            {preview.isError ? (
              <span className="field-error">{errorMessage(preview.error)}</span>
            ) : preview.data?.errors.length ? (
              <span className="muted">Fix the template errors to see the preview.</span>
            ) : (
              (preview.data?.rendered ?? "")
            )}
          </div>
          <p className="small muted">{lead ? `Rendered for @${lead.username}.` : "Pick a lead to fill its fields; without one they render empty."}</p>
        </div>
      </Card>
    </div>
  );
}

function LeadPicker({ lead, onPick }: { lead: LeadDto | null; onPick: (l: LeadDto | null) => void }) {
  const [q, setQ] = useState("");
  const dq = useDebounced(q, 250);
  const res = useQuery({
    queryKey: ["leads", "picker", dq],
    queryFn: ({ signal }) => leadsApi.list({ search: dq || undefined, limit: 8 }, signal),
    enabled: dq.length > 0,
  });
  const items = useMemo(() => res.data?.items ?? [], [res.data]);
  return (
    <div className="lead-picker field">
      <label htmlFor="lead-picker-q">Preview on lead</label>
      <input
        id="lead-picker-q"
        className="input"
        type="search"
        placeholder={lead ? `@${lead.username} — search to change` : "Search a lead by name or username"}
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      {dq && (
        <ul aria-label="Matching leads">
          {res.isPending ? (
            <li className="small muted" style={{ padding: 8 }}>
              Searching…
            </li>
          ) : items.length === 0 ? (
            <li className="small muted" style={{ padding: 8 }}>
              No lead matches.
            </li>
          ) : (
            items.map((l) => (
              <li key={l.id}>
                <button
                  type="button"
                  aria-pressed={lead?.id === l.id}
                  onClick={() => {
                    onPick(l);
                    setQ("");
                  }}
                >
                  @{l.username} {l.full_name && <span className="muted">· {l.full_name}</span>}
                </button>
              </li>
            ))
          )}
        </ul>
      )}
    </div>
  );
}
