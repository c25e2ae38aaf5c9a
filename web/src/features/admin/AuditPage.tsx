import { useQuery, keepPreviousData } from "@tanstack/react-query";
import { ScrollText } from "lucide-react";
import { useState, useEffect } from "react";
import { adminApi, qk, type AuditQuery } from "../../api/endpoints";
import { errorMessage } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime, shortUserAgent } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner } from "../../ui/Spinner";
import { Button } from "../../ui/Button";
import "../../styles/admin.css";
import { useFilterParams } from "../../lib/useFilterParams";

const PER_PAGE = 50;

/** yyyy-mm-dd (local day) → RFC 3339 UTC instant at the start or end of that day. */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number);
  const dt = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return dt.toISOString();
}

export default function AuditPage() {
  const [params, update] = useFilterParams();
  const actorParam = params.get("actor") ?? "";
  const [actor, setActor] = useState(actorParam);
  const debouncedActor = useDebounced(actor, 300);
  const action = params.get("action") ?? "";
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);


  useEffect(() => {
    if (debouncedActor !== actorParam) update({ actor: debouncedActor });
  }, [debouncedActor]);

  const query: AuditQuery = {
    actor: actorParam || undefined,
    action: action || undefined,
    from: from ? dayBound(from, false) : undefined,
    to: to ? dayBound(to, true) : undefined,
    page,
    per_page: PER_PAGE,
  };
  const actions = useQuery({ queryKey: qk.auditActions, queryFn: adminApi.auditActions, staleTime: 5 * 60_000 });
  const audit = useQuery({
    queryKey: qk.audit(query),
    queryFn: ({ signal }) => adminApi.audit(query, signal),
    placeholderData: keepPreviousData,
  });
  const filtered = !!(actorParam || action || from || to);

  return (
    <div className="page">
      <PageHeader title="Audit log" description="Security-relevant events, newest first." />
      <Card>
        <div className="filters">
          <TextField label="Actor" name="actor" type="search" placeholder="username" value={actor} onChange={(e) => setActor(e.target.value)} />
          <SelectField label="Action" name="action" value={action} onChange={(e) => update({ action: e.target.value })}>
            <option value="">All actions</option>
            {(actions.data ?? []).map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </SelectField>
          <TextField label="From" name="from" type="date" value={from} max={to || undefined} onChange={(e) => update({ from: e.target.value })} />
          <TextField label="To" name="to" type="date" value={to} min={from || undefined} onChange={(e) => update({ to: e.target.value })} />
          {filtered && (
            <Button
              size="sm"
              variant="ghost"
              className="filters-clear"
              onClick={() => {
                setActor("");
                update({ actor: "", action: "", from: "", to: "" });
              }}
            >
              Clear filters
            </Button>
          )}
        </div>
        {audit.isPending ? (
          <PageSpinner />
        ) : audit.isError ? (
          <FormError message={errorMessage(audit.error)} />
        ) : audit.data.items.length === 0 ? (
          <EmptyState icon={<ScrollText size={24} />} title={filtered ? "No events match these filters" : "No events yet"}>
            {filtered ? "Widen the date range or clear the filters." : "Sign-ins and changes to users appear here."}
          </EmptyState>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table stack" aria-busy={audit.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Target</th>
                    <th scope="col">IP</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {audit.data.items.map((e) => (
                    <tr key={e.id} data-testid="audit-row">
                      <td data-label="Time" className="num nowrap">{formatDateTime(e.at)}</td>
                      <td data-label="Actor">{e.actor_username ?? <span className="muted">—</span>}</td>
                      <td data-label="Action">
                        <code>{e.action}</code>
                      </td>
                      <td data-label="Outcome">
                        <Badge tone={/fail|denied|error|locked/i.test(e.outcome) ? "red" : "green"}>{e.outcome}</Badge>
                      </td>
                      <td data-label="Target">{e.target_label ?? (e.target_type ? `${e.target_type} ${e.target_id ?? ""}` : "—")}</td>
                      <td data-label="IP" className="num" title={e.user_agent ? shortUserAgent(e.user_agent) : undefined}>
                        {e.ip ?? "—"}
                      </td>
                      <td data-label="Details">
                        {e.details && Object.keys(e.details).length > 0 ? (
                          <details>
                            <summary>show</summary>
                            <pre className="json">{JSON.stringify(e.details, null, 2)}</pre>
                          </details>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={audit.data.page} perPage={audit.data.per_page} total={audit.data.total} onPage={(p) => update({ page: String(p) }, false)} />
          </>
        )}
      </Card>
    </div>
  );
}
