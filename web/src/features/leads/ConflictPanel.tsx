import { AlertTriangle } from "lucide-react";
import { Button } from "../../ui/Button";
import { COLUMN_BY_ID } from "./columns";
import type { Conflict } from "./useLeadEditing";

function show(v: unknown): string {
  if (v === null || v === undefined || v === "") return "(empty)";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "(none)";
  return String(v);
}

/** Stale writes (409), shown where the user is working: their value next to the one saved meanwhile. */
export function ConflictPanel({
  conflicts,
  onKeepMine,
  onTakeTheirs,
}: {
  conflicts: Conflict[];
  onKeepMine: (c: Conflict) => void;
  onTakeTheirs: (c: Conflict) => void;
}) {
  if (!conflicts.length) return null;
  return (
    <section className="conflicts" aria-label="Edit conflicts">
      {conflicts.map((c) => (
        <div key={c.id} className="conflict" role="alert" data-testid="conflict">
          <AlertTriangle size={16} aria-hidden className="conflict-icon" />
          <div className="conflict-body">
            <div>
              <strong>{c.username}</strong> was changed by someone else while you edited it. Nothing was overwritten.
            </div>
            <table className="conflict-table">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>Yours</th>
                  <th>Saved meanwhile</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(c.mine).map(([field, mine]) => (
                  <tr key={field}>
                    <td>{COLUMN_BY_ID[field]?.title ?? field}</td>
                    <td data-testid="conflict-mine">{show(mine)}</td>
                    <td data-testid="conflict-theirs">{show((c.current as unknown as Record<string, unknown>)[field])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="conflict-actions">
            <Button size="sm" variant="primary" onClick={() => onKeepMine(c)}>
              Keep mine
            </Button>
            <Button size="sm" onClick={() => onTakeTheirs(c)}>
              Take theirs
            </Button>
          </div>
        </div>
      ))}
    </section>
  );
}
