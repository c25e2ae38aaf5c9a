import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ArrowLeft, Play } from "lucide-react";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { Button } from "../../ui/Button";
import { FieldErrors, FormError, SelectField, TextField } from "../../ui/Field";
import { Card, PageHeader } from "../../ui/misc";
import { Spinner } from "../../ui/Spinner";
import { useCurrentUser } from "../auth/session";
import { leadKeys, productsApi } from "../leads/api";
import { runningOperation, sessionKeys, sessionsApi, STAGE_HINT, STAGE_LABEL, STAGES, usd, type Estimate, type StageName } from "./api";
import { BIO_LANGUAGES, buildSessionInput, canonicalErrors, formFromParams, otherFieldErrors, type FieldErrorMap, type SessionForm } from "./form";
import { HashtagChips } from "./HashtagChips";
import "./sessions.css";

/** Form fields → the API field names their errors come under. */
const API_FIELD: Partial<Record<keyof SessionForm, string>> = {
  min_followers: "filters.min_followers",
  max_followers: "filters.max_followers",
  bio_language: "filters.bio_language",
  business_only: "filters.business_only",
  require_contact: "filters.require_contact",
  skip_private: "filters.skip_private",
  batch_size: "pacing.batch_size",
  pause_min_seconds: "pacing.pause_min_seconds",
  pause_max_seconds: "pacing.pause_max_seconds",
};
const apiField = (k: keyof SessionForm) => API_FIELD[k] ?? k;

const PROVIDER_LABEL: Record<string, string> = { apify: "Apify", perplexity: "Perplexity", openai: "OpenAI" };

/** The new-session form: hashtags, filters, product, stages and pacing, with the estimated cost before Start. */
export default function NewSessionPage() {
  const me = useCurrentUser();
  const [params] = useSearchParams();
  const [form, setForm] = useState<SessionForm>(() => formFromParams(params));
  const [tried, setTried] = useState(false);
  const [server, setServer] = useState<FieldErrorMap>({});
  const navigate = useNavigate();
  const qc = useQueryClient();
  const products = useQuery({ queryKey: leadKeys.products, queryFn: productsApi.list, staleTime: 60_000 });

  const built = useMemo(() => buildSessionInput(form), [form]);
  const local = "errors" in built ? built.errors : {};
  const errors: FieldErrorMap = { ...(tried ? local : {}), ...server };
  // The estimate follows the form, half a second after the last change, while the form is valid.
  const body = "body" in built ? built.body : null;
  const estimateBody = useDebounced(body ? JSON.stringify(body) : "", 500);
  const estimate = useQuery({
    queryKey: sessionKeys.estimate(estimateBody),
    queryFn: ({ signal }) => sessionsApi.estimate(JSON.parse(estimateBody), signal),
    enabled: !!estimateBody,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 60_000,
  });

  const create = useMutation({
    mutationFn: sessionsApi.create,
    onSuccess: (s) => {
      qc.setQueryData(sessionKeys.one(s.id), s);
      qc.setQueryData(sessionKeys.latest, s);
      void qc.invalidateQueries({ queryKey: ["sessions", "list"] });
      navigate(`/sessions/${s.id}`);
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 422) setServer(canonicalErrors(e.fieldErrors));
    },
  });

  const set = <K extends keyof SessionForm>(k: K, v: SessionForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    // What the server said about a field goes once the field changes (hashtag indexes shift with any chip).
    const field = apiField(k);
    setServer((s) => Object.fromEntries(Object.entries(s).filter(([name]) => name !== field && !(k === "hashtags" && name.startsWith("hashtags")))));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!body) return;
    setServer({});
    create.mutate(body);
  };

  const running = runningOperation(create.error);
  const generic =
    create.error && !running && !(create.error instanceof ApiError && create.error.status === 422 && Object.keys(server).length)
      ? errorMessage(create.error)
      : null;
  const readOnly = me.role === "viewer";
  const err = (k: keyof SessionForm) => errors[apiField(k)];
  const numProps = (k: keyof SessionForm) => ({
    inputMode: "numeric" as const,
    value: form[k] as string,
    onChange: (e: { target: { value: string } }) => set(k, e.target.value as SessionForm[typeof k]),
    errors: err(k),
  });
  const toggleStage = (s: StageName, on: boolean) => set("stages", on ? STAGES.filter((x) => x === s || form.stages.includes(x)) : form.stages.filter((x) => x !== s));
  const needsProduct = form.stages.includes("drafts");

  return (
    <div className="page session-new">
      <PageHeader
        title="New session"
        description="Find leads behind Instagram hashtags, complete their contact data and write a first e-mail to each — in the background."
        actions={
          <Link className="btn btn-sm btn-ghost" to="/sessions">
            <ArrowLeft size={14} aria-hidden /> <span>All sessions</span>
          </Link>
        }
      />
      {readOnly && <div className="notice">Viewers can't start sessions.</div>}
      <form className="session-form" onSubmit={submit} noValidate aria-label="New session">
        <div className="session-form-main">
          <Card title="What to crawl">
            <div className="stack">
              <HashtagChips tags={form.hashtags} onChange={(t) => set("hashtags", t)} errors={errors} />
              <div>
                <label className="check-row">
                  <input type="checkbox" checked={form.discover_related} onChange={(e) => set("discover_related", e.target.checked)} />
                  Discover related hashtags
                </label>
                <div className="field-hint check-hint">Hashtags found on the crawled posts; you tick the ones to add while it runs.</div>
              </div>
              <div className="form-grid">
                <TextField label="Posts per hashtag" {...numProps("posts_per_hashtag")} />
                <TextField label="Maximum new leads" hint="The session stops adding leads at this number." {...numProps("max_new_leads")} />
              </div>
              <TextField label="Name (optional)" value={form.name} onChange={(e) => set("name", e.target.value)} errors={err("name")} placeholder="e.g. Yoga studios, spring" />
            </div>
          </Card>
          <Card title="Filters">
            <div className="form-grid">
              <TextField label="Followers from" placeholder="any" {...numProps("min_followers")} />
              <TextField label="Followers up to" placeholder="any" {...numProps("max_followers")} />
              <SelectField label="Bio language" value={form.bio_language} onChange={(e) => set("bio_language", e.target.value)} errors={err("bio_language")}>
                {BIO_LANGUAGES.map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.label}
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="check-list session-checks">
              <Check label="Business accounts only" checked={form.business_only} onChange={(v) => set("business_only", v)} />
              <Check label="Must have contact data (e-mail, phone or website)" checked={form.require_contact} onChange={(v) => set("require_contact", v)} />
              <Check label="Skip private accounts" checked={form.skip_private} onChange={(v) => set("skip_private", v)} />
            </div>
          </Card>
          <Card title="Stages and product">
            <fieldset className="check-list stage-checks" aria-describedby="stage-errors">
              <legend className="small muted">Stages to run, in this order</legend>
              {STAGES.map((s) => (
                <label key={s} className="check-row stage-check">
                  <input type="checkbox" checked={form.stages.includes(s)} onChange={(e) => toggleStage(s, e.target.checked)} />
                  <span>
                    <strong>{STAGE_LABEL[s]}</strong>
                    <span className="small muted"> — {STAGE_HINT[s]}</span>
                  </span>
                </label>
              ))}
              <FieldErrors id="stage-errors" errors={errors.stages} />
            </fieldset>
            <SelectField
              label="Product"
              value={form.product_id}
              onChange={(e) => set("product_id", e.target.value)}
              errors={err("product_id")}
              hint={
                products.data && products.data.length === 0 ? (
                  <>
                    No products yet. <Link to="/products">Create one</Link> — the e-mails are about it.
                  </>
                ) : needsProduct ? (
                  "The e-mails use this product's prompt and variables."
                ) : (
                  "Only needed for the e-mail stage."
                )
              }
            >
              <option value="">{products.isPending ? "Loading…" : "Choose a product…"}</option>
              {(products.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </SelectField>
          </Card>
          <details className="card session-advanced">
            <summary>Advanced: pacing</summary>
            <div className="card-body">
              <p className="small muted">
                Profiles are fetched in batches with a random pause between batches, so the crawl looks less like a machine.
              </p>
              <div className="form-grid">
                <TextField label="Batch size" hint="Profiles per batch (about 25)." {...numProps("batch_size")} />
                <TextField label="Shortest pause (s)" {...numProps("pause_min_seconds")} />
                <TextField label="Longest pause (s)" {...numProps("pause_max_seconds")} />
              </div>
            </div>
          </details>
        </div>
        <aside className="session-form-side">
          <Card title="Estimated cost">
            <EstimateView body={!!body} estimate={estimate.data} loading={estimate.isFetching} error={estimate.error} />
          </Card>
          {running && <RunningNotice sessionId={running.session_id} name={running.name} />}
          <FormError message={generic} />
          {otherFieldErrors(server).map((line) => (
            <FormError key={line} message={line} />
          ))}
          {tried && !body && <p className="field-error">Fix the fields marked above.</p>}
          <Button type="submit" variant="primary" icon={<Play size={14} aria-hidden />} loading={create.isPending} disabled={readOnly} className="session-start">
            Start session
          </Button>
          <p className="small muted">It runs in the background: you can leave this page and follow it on the Sessions page.</p>
        </aside>
      </form>
    </div>
  );
}

function Check({ label, checked, onChange }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check-row">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}

/** 409: another heavy operation runs; name it and link to it. */
export function RunningNotice({ sessionId, name }: { sessionId: string | null; name: string | null }) {
  return (
    <div className="notice running-notice" role="alert" data-testid="session-running-notice">
      <strong>{name ? `“${name}” is still running.` : "Another session is still running."}</strong> Only one runs at a time: wait for it to finish or
      cancel it.{" "}
      {sessionId && (
        <Link to={`/sessions/${sessionId}`} className="strong">
          Open it
        </Link>
      )}
    </div>
  );
}

function EstimateView({ body, estimate, loading, error }: { body: boolean; estimate: Estimate | undefined; loading: boolean; error: unknown }) {
  if (!body) return <p className="small muted">Add hashtags and fill in the form to see what the session would cost.</p>;
  if (error && !estimate) return <FormError message={errorMessage(error)} />;
  if (!estimate) return <Spinner label="Estimating" />;
  return (
    <div className="estimate" aria-busy={loading || undefined} data-testid="session-estimate">
      <table className="table table-compact estimate-table">
        <thead>
          <tr>
            <th scope="col">For</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {estimate.lines.map((l, i) => (
            <tr key={i}>
              <td>
                <span className="estimate-provider">{PROVIDER_LABEL[l.provider] ?? l.provider}</span> <span className="small muted">{l.what}</span>
              </td>
              <td className="num" title={`${usd(l.unit_price_usd)} each`}>
                {l.count.toLocaleString()}
              </td>
              <td className="num">{usd(l.cost_usd)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total (at most)</th>
            <td />
            <td className="num strong" data-testid="estimate-total">
              {usd(estimate.cost_usd)}
            </td>
          </tr>
        </tfoot>
      </table>
      <p className="small muted">
        Up to {estimate.profiles.toLocaleString()} profiles; from the unit prices in the settings. {loading && <Spinner size={12} label="Updating" />}
      </p>
    </div>
  );
}
