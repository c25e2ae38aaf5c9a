import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { ExternalLink, Hash, History, Link2, Trash2, X } from "lucide-react";
import { Button } from "../../ui/Button";
import { formatDateTime } from "../../ui/format";
import { Badge } from "../../ui/misc";
import { Spinner } from "../../ui/Spinner";
import { LEAD_STATUSES, leadKeys, leadsApi, statusLabel, type LeadDto, type LeadPatch } from "./api";
import { COLUMNS, parseCellInput, type LeadColumn } from "./columns";
import { ConflictPanel } from "./ConflictPanel";
import { sourceHashtags } from "./hashtags";
import type { Conflict } from "./useLeadEditing";
import { safeSources, type ContactSource } from "../sessions/sources";

const EDITABLE: LeadColumn[] = [
  ...COLUMNS.filter((c) => c.editable),
  { id: "email_subject", title: "Email subject", kind: "text", width: 0, editable: true, sortable: false },
  { id: "email_body", title: "Email body", kind: "longtext", width: 0, editable: true, sortable: false },
];

function toText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

/** Every field of one lead, editable, with its history. */
export function LeadDrawer({
  lead,
  readOnly,
  onClose,
  onSave,
  onDelete,
  conflict,
  onKeepMine,
  onTakeTheirs,
  owner,
}: {
  /** Admins reading another user's lead: their id (history is read as them; the drawer is read-only). */
  owner?: string | null;
  conflict?: Conflict;
  onKeepMine?: (c: Conflict) => void;
  onTakeTheirs?: (c: Conflict) => void;
  lead: LeadDto;
  readOnly: boolean;
  onClose: () => void;
  onSave: (patch: LeadPatch) => Promise<boolean>;
  onDelete: () => void;
}) {
  const titleId = useId();
  const initial = useMemo(() => Object.fromEntries(EDITABLE.map((c) => [c.id, c.kind === "bool" ? !!lead[c.id] : toText(lead[c.id])])), [lead]);
  const [form, setForm] = useState<Record<string, string | boolean>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => setForm(initial), [initial]);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("button, input")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  const history = useQuery({
    queryKey: [...leadKeys.history(lead.id), lead.version, owner ?? null],
    queryFn: () => leadsApi.history(lead.id, owner),
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    const errs: Record<string, string> = {};
    for (const c of EDITABLE) {
      if (form[c.id] === initial[c.id]) continue;
      const p = parseCellInput(c, form[c.id]);
      if ("error" in p) errs[c.id] = p.error;
      else patch[c.id] = p.value;
    }
    setErrors(errs);
    if (Object.keys(errs).length || !Object.keys(patch).length) return;
    setBusy(true);
    await onSave(patch as LeadPatch);
    setBusy(false);
  };

  return (
    <div className="drawer-layer">
      <div className="drawer-scrim" onClick={onClose} aria-hidden />
      <aside className="lead-drawer" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref}>
        <header className="drawer-head">
          <div>
            <h2 id={titleId}>@{lead.username}</h2>
            <div className="small muted">
              {lead.source_hashtag ? <>Found via #{lead.source_hashtag} · </> : null}added {formatDateTime(lead.created_at)} · version {lead.version}
            </div>
          </div>
          <button type="button" className="icon-btn" aria-label="Close details" onClick={onClose}>
            <X size={16} aria-hidden />
          </button>
        </header>
        <form className="drawer-body" onSubmit={submit}>
          {conflict && onKeepMine && onTakeTheirs && <ConflictPanel conflicts={[conflict]} onKeepMine={onKeepMine} onTakeTheirs={onTakeTheirs} />}
          <div className="drawer-fields">
            {EDITABLE.map((c) => {
              const id = `${titleId}-${c.id}`;
              const err = errors[c.id];
              if (c.kind === "bool")
                return (
                  <label key={c.id} className="check-row drawer-check">
                    <input type="checkbox" disabled={readOnly} checked={!!form[c.id]} onChange={(e) => setForm({ ...form, [c.id]: e.target.checked })} />
                    {c.title}
                  </label>
                );
              return (
                <div key={c.id} className={`field ${c.kind === "longtext" ? "field-wide" : ""}`}>
                  <label htmlFor={id}>{c.title}</label>
                  {c.kind === "status" ? (
                    <select id={id} className="input" disabled={readOnly} value={String(form[c.id])} onChange={(e) => setForm({ ...form, [c.id]: e.target.value })}>
                      {LEAD_STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {statusLabel(s)}
                        </option>
                      ))}
                    </select>
                  ) : c.kind === "longtext" ? (
                    <textarea id={id} className="input textarea" rows={3} readOnly={readOnly} value={String(form[c.id])} onChange={(e) => setForm({ ...form, [c.id]: e.target.value })} />
                  ) : (
                    <input
                      id={id}
                      className="input"
                      readOnly={readOnly}
                      inputMode={c.kind === "number" ? "numeric" : undefined}
                      type={c.kind === "email" ? "email" : "text"}
                      aria-invalid={err ? true : undefined}
                      placeholder={c.kind === "tags" ? "comma-separated" : undefined}
                      value={String(form[c.id])}
                      onChange={(e) => setForm({ ...form, [c.id]: e.target.value })}
                    />
                  )}
                  {err && <div className="field-error">{err}</div>}
                </div>
              );
            })}
          </div>
          <dl className="facts compact drawer-facts">
            {(["created_at", "updated_at", "enriched_at", "contacted_at"] as const).map((k) => (
              <div key={k}>
                <dt>{k.replace("_at", "").replace(/^./, (x) => x.toUpperCase())}</dt>
                <dd className="num">{formatDateTime(lead[k])}</dd>
              </div>
            ))}
          </dl>
          {!readOnly && (
            <div className="row gap drawer-actions">
              <Button type="submit" variant="primary" loading={busy}>
                Save changes
              </Button>
              <Button variant="danger" icon={<Trash2 size={14} aria-hidden />} onClick={onDelete}>
                Delete lead
              </Button>
            </div>
          )}
          <SourceHashtags lead={lead} owner={owner} />
          <ContactSources sources={lead.contact_sources} />
          <section aria-label="History" className="drawer-history">
            <h3>
              <History size={14} aria-hidden /> History
            </h3>
            {history.isPending ? (
              <Spinner label="Loading history" />
            ) : history.isError ? (
              <p className="field-error">Could not load the history.</p>
            ) : (
              <ol className="history">
                {history.data.map((h) => (
                  <li key={h.id} className={h.undone_at ? "undone" : ""}>
                    <div className="small">
                      <strong>{h.kind}</strong>
                      {h.batch_id.startsWith("import:") && <span className="muted"> by an import</span>} ·{" "}
                      <span className="num">{formatDateTime(h.at)}</span>
                      {h.undone_at && <span className="muted"> (undone)</span>}
                    </div>
                    {Object.entries(h.changes as Record<string, [unknown, unknown]>).map(([f, pair]) => (
                      <div key={f} className="small muted">
                        {f}: <s>{fmt(pair?.[0])}</s> → {fmt(pair?.[1])}
                      </div>
                    ))}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </form>
      </aside>
    </div>
  );
}

/** The lead's `source_hashtag` and every hashtag a discovery run found its username with, deduplicated. */
function SourceHashtags({ lead, owner }: { lead: LeadDto; owner?: string | null }) {
  // `owner`: an admin reading another user's lead (read-only).
  const found = useQuery({
    queryKey: [...leadKeys.hashtags(lead.id), owner ?? null],
    queryFn: () => leadsApi.hashtags(lead.id, owner),
    staleTime: 30_000,
  });
  const tags = sourceHashtags(lead.source_hashtag, found.data);
  return (
    <section aria-labelledby={`${lead.id}-hashtags`} className="drawer-history drawer-hashtags">
      <h3 id={`${lead.id}-hashtags`}>
        <Hash size={14} aria-hidden /> Source hashtags
      </h3>
      {found.isPending ? (
        <Spinner label="Loading hashtags" />
      ) : (
        <>
          {found.isError && <p className="field-error">Could not load the hashtags that found this lead.</p>}
          {tags.length === 0 ? (
            !found.isError && (
              <p className="small muted">No hashtag found this lead. Leads from hashtag discovery list the hashtags that found them here.</p>
            )
          ) : (
            <ul className="hashtag-list" data-testid="lead-hashtags">
              {tags.map((t) => (
                <li key={t.hashtag.toLowerCase()}>
                  <span className="strong">#{t.hashtag}</span>
                  {t.source && (
                    <Badge tone="green" title="The lead's Hashtag field">
                      source
                    </Badge>
                  )}
                  <span className="small muted num">{t.found_at ? `found ${formatDateTime(t.found_at)}` : "date not recorded"}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

/** Where a session's contact search found this lead's contact data (the answer's citations), as links. */
function ContactSources({ sources }: { sources: ContactSource[] | null | undefined }) {
  const list = safeSources(sources);
  return (
    <section aria-label="Sources" className="drawer-history drawer-sources">
      <h3>
        <Link2 size={14} aria-hidden /> Sources
      </h3>
      {list.length === 0 ? (
        <p className="small muted">No sources. When a session looks up missing contact data, the pages it found it on are listed here.</p>
      ) : (
        <ul className="source-list" data-testid="lead-sources">
          {list.map((src) => (
            <li key={src.url}>
              <a href={src.url} target="_blank" rel="noopener noreferrer" title={src.url}>
                {src.label} <ExternalLink size={12} aria-hidden />
              </a>
              <span className="small muted"> {src.host}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function fmt(v: unknown): string {
  if (v === null || v === undefined || v === "") return "∅";
  if (Array.isArray(v)) return v.join(", ") || "∅";
  return String(v);
}
