import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { BarChart3 } from "lucide-react";
import { errorMessage } from "../../lib/errors";
import { FormError, SelectField } from "../../ui/Field";
import { Card, EmptyState, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { formatDateTime } from "../../ui/format";
import { durationText, providerKeys, providersApi, unitsText, type UsageItem } from "./api";
import "./providers.css";

const WINDOWS: { days: number; label: string }[] = [
  { days: 1, label: "Last 24 hours" },
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
  { days: 365, label: "Last 12 months" },
];

/** Admin → Usage: provider calls per user and provider, from the record of every call. */
export default function UsagePage() {
  const [days, setDays] = useState(30);
  // Fixed when the period is picked (to the minute), so the query key stays the same while the page is open.
  const sinceIso = useMemo(() => {
    const t = new Date(Date.now() - days * 86_400_000);
    t.setSeconds(0, 0);
    return t.toISOString();
  }, [days]);
  const q = useQuery({
    queryKey: providerKeys.usage(sinceIso),
    queryFn: ({ signal }) => providersApi.usage(sinceIso, signal),
  });
  const items = q.data?.items ?? [];
  const totals = totalsByProvider(items);
  return (
    <div className="page">
      <PageHeader
        title="Usage"
        description="Calls to the outside services per user and provider: how many, how many failed, what they cost in units and how long they took."
        actions={
          <SelectField label="Period" value={days} onChange={(e) => setDays(Number(e.target.value))} fieldClassName="usage-period">
            {WINDOWS.map((w) => (
              <option key={w.days} value={w.days}>
                {w.label}
              </option>
            ))}
          </SelectField>
        }
      />
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      {q.data && items.length === 0 && (
        <Card>
          <EmptyState icon={<BarChart3 size={24} />} title="No provider calls in this period">
            Calls appear here once someone tests a connection, links a mailbox or runs work that uses a provider. Pick a
            longer period to look further back.
          </EmptyState>
        </Card>
      )}
      {q.data && items.length > 0 && (
        <>
          <div className="usage-totals" aria-label="Totals per provider">
            {totals.map((t) => (
              <div key={t.provider} className="usage-total card">
                <div className="muted small">{t.label}</div>
                <div className="usage-total-calls num">{plural(t.calls, "call")}</div>
                <div className="muted small">{totalDetail(t)}</div>
              </div>
            ))}
          </div>
          <Card title={`Per user since ${formatDateTime(q.data.since)}`}>
            <div className="table-wrap">
              <table className="table usage-table" aria-busy={q.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">User</th>
                    <th scope="col" className="num">
                      Calls
                    </th>
                    <th scope="col" className="num">
                      Errors
                    </th>
                    <th scope="col">Units</th>
                    <th scope="col" className="num">
                      Total time
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={`${i.provider}/${i.user_id ?? ""}`} data-testid="usage-row">
                      <td>{i.provider_label}</td>
                      <td>{i.username ?? (i.user_id ? "deleted user" : "system")}</td>
                      <td className="num">{i.calls.toLocaleString("en-US")}</td>
                      <td className={i.errors > 0 ? "num usage-errors" : "num"}>{i.errors.toLocaleString("en-US")}</td>
                      <td>{unitsText(i.units)}</td>
                      <td className="num">{durationText(i.duration_ms)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        </>
      )}
    </div>
  );
}

interface Total {
  provider: string;
  label: string;
  calls: number;
  errors: number;
  units: { unit: string; count: number }[];
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

/** "1 failed · 21 tokens", "21 tokens", "all ok". */
export function totalDetail(t: Total): string {
  const parts = [t.errors > 0 ? `${t.errors.toLocaleString("en-US")} failed` : null, t.units.length > 0 ? unitsText(t.units) : null];
  return parts.filter(Boolean).join(" · ") || "all ok";
}

export function totalsByProvider(items: UsageItem[]): Total[] {
  const by = new Map<string, Total>();
  for (const i of items) {
    const t = by.get(i.provider) ?? { provider: i.provider, label: i.provider_label, calls: 0, errors: 0, units: [] };
    t.calls += i.calls;
    t.errors += i.errors;
    for (const u of i.units) {
      const have = t.units.find((x) => x.unit === u.unit);
      if (have) have.count += u.count;
      else t.units.push({ ...u });
    }
    by.set(i.provider, t);
  }
  return [...by.values()];
}
