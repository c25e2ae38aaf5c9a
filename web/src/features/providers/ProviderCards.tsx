import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, PlugZap, XCircle } from "lucide-react";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { formatDateTime } from "../../ui/format";
import {
  providerKeys,
  providersApi,
  type ConnectionTest,
  type ProviderFieldView,
  type ProviderSettingChange,
  type ProviderView,
  type Scope,
} from "./api";

/** One card per provider: its settings (secrets only as a hint), Save, and Test connection. */
export function ProviderCards({ scope }: { scope: Scope }) {
  const q = useQuery({ queryKey: providerKeys.settings(scope), queryFn: () => providersApi.list(scope) });
  if (q.isPending) return <PageSpinner />;
  if (q.isError) return <FormError message={errorMessage(q.error)} />;
  if (q.data.providers.length === 0) return <EmptyState title="No provider settings" />;
  return (
    <div className="provider-cards">
      {q.data.providers.map((p) => (
        <ProviderCard key={p.provider} scope={scope} provider={p} />
      ))}
    </div>
  );
}

function setBy(f: ProviderFieldView): string | null {
  if (!f.set || !f.updated_at) return null;
  return `Set${f.updated_by ? ` by ${f.updated_by}` : ""} on ${formatDateTime(f.updated_at)}`;
}

function ProviderCard({ scope, provider }: { scope: Scope; provider: ProviderView }) {
  const qc = useQueryClient();
  const toast = useToast();
  const headingId = useId();
  // Only what the person typed is sent; an untouched field keeps its value.
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const save = useMutation({
    mutationFn: (settings: ProviderSettingChange[]) => providersApi.update(scope, settings),
    onSuccess: (page, settings) => {
      qc.setQueryData(providerKeys.settings(scope), page);
      setDraft({});
      setResult(null);
      const cleared = settings.every((s) => s.value === null);
      toast.success(`${provider.label}: ${cleared ? "cleared" : "saved"}.`);
    },
  });
  const test = useMutation({
    mutationFn: () => providersApi.test(scope, provider.provider),
    onSuccess: setResult,
    onError: (e) => toast.error(e),
  });
  const fieldErrors = (name: string): string[] | undefined => {
    if (!(save.error instanceof ApiError)) return undefined;
    const all = save.error.fieldErrors;
    const sent = save.variables ?? [];
    const i = sent.findIndex((s) => s.field === name);
    return i >= 0 ? all[`settings[${i}].value`] : undefined;
  };
  const changes: ProviderSettingChange[] = Object.entries(draft)
    .filter(([, v]) => v.trim() !== "")
    .map(([field, value]) => ({ provider: provider.provider, field, value }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (changes.length > 0) save.mutate(changes);
  };
  const anySet = provider.fields.some((f) => f.set);
  return (
    <Card
      className="provider-card"
      title={
        <span id={headingId} className="provider-title">
          {provider.label}
          {anySet ? <Badge tone="green">set</Badge> : <Badge>not set</Badge>}
        </span>
      }
    >
      <form onSubmit={onSubmit} aria-labelledby={headingId} data-testid={`provider-${provider.provider}`}>
        <div className="provider-fields">
          {provider.fields.map((f) => (
            <TextField
              key={f.field}
              label={f.label}
              name={f.field}
              type={f.secret ? "password" : "text"}
              autoComplete="off"
              spellCheck={false}
              value={draft[f.field] ?? (f.secret ? "" : (f.value ?? ""))}
              placeholder={f.secret ? (f.hint ?? "Not set") : "Not set"}
              onChange={(e) => setDraft((d) => ({ ...d, [f.field]: e.target.value }))}
              errors={fieldErrors(f.field)}
              hint={
                <span className="provider-hint">
                  <span>{setBy(f) ?? (f.secret ? "Kept encrypted; only the last characters are shown." : "Not set.")}</span>
                  {f.set && (
                    <button
                      type="button"
                      className="link-btn"
                      onClick={() => save.mutate([{ provider: provider.provider, field: f.field, value: null }])}
                      disabled={save.isPending}
                      aria-label={`Clear ${provider.label} ${f.label}`}
                    >
                      Clear
                    </button>
                  )}
                </span>
              }
            />
          ))}
        </div>
        {save.isError && !(save.error instanceof ApiError && save.error.code === "validation_failed") && (
          <FormError message={errorMessage(save.error)} />
        )}
        <div className="provider-actions">
          <Button type="submit" variant="primary" size="sm" loading={save.isPending} disabled={changes.length === 0}>
            Save
          </Button>
          {provider.testable && (
            <Button
              size="sm"
              icon={<PlugZap size={14} aria-hidden />}
              loading={test.isPending}
              onClick={() => test.mutate()}
              disabled={changes.length > 0}
              title={changes.length > 0 ? "Save first: the test uses the saved settings" : undefined}
            >
              Test connection
            </Button>
          )}
          {!provider.testable && <span className="muted small">Checked when an account is connected.</span>}
        </div>
        {result && <TestResult result={result} />}
      </form>
    </Card>
  );
}

export function TestResult({ result }: { result: ConnectionTest }) {
  return (
    <div className={result.ok ? "test-result test-ok" : "test-result test-failed"} role="status" data-testid="test-result">
      {result.ok ? <CheckCircle2 size={16} aria-hidden /> : <XCircle size={16} aria-hidden />}
      <span>
        {result.message}
        {result.code && <code className="test-code">{result.code}</code>}
        <span className="muted small"> · {result.duration_ms} ms</span>
      </span>
    </div>
  );
}
