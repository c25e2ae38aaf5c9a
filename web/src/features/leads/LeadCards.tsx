import { Mail, Users } from "lucide-react";
import { Button } from "../../ui/Button";
import { EmptyState } from "../../ui/misc";
import { statusLabel, type LeadDto } from "./api";

/** The phone layout: one card per lead, more loaded on demand. */
export function LeadCards({
  rows,
  total,
  loading,
  onMore,
  onOpen,
}: {
  rows: LeadDto[];
  total: number;
  loading: boolean;
  onMore: () => void;
  onOpen: (lead: LeadDto) => void;
}) {
  if (!rows.length && !loading) {
    return (
      <EmptyState icon={<Users size={28} />} title="No leads match">
        Change the search or the filters, or add a lead.
      </EmptyState>
    );
  }
  return (
    <div className="lead-cards">
      <ul>
        {rows.map((l) => (
          <li key={l.id}>
            <button type="button" className="lead-card" onClick={() => onOpen(l)} data-testid="lead-card">
              <span className="lead-card-head">
                <strong>@{l.username}</strong>
                <span className={`status-pill status-${l.status}`}>{statusLabel(l.status)}</span>
              </span>
              {l.full_name && <span>{l.full_name}</span>}
              <span className="small muted row gap">
                <span className="num">
                  <Users size={12} aria-hidden /> {l.followers?.toLocaleString() ?? "—"}
                </span>
                {l.email && (
                  <span>
                    <Mail size={12} aria-hidden /> {l.email}
                  </span>
                )}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {rows.length < total && (
        <Button onClick={onMore} loading={loading}>
          Show more ({(total - rows.length).toLocaleString()} left)
        </Button>
      )}
    </div>
  );
}
