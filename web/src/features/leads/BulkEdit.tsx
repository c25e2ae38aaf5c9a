import { useState } from "react";
import { PencilLine } from "lucide-react";
import { Button } from "../../ui/Button";
import { Popover } from "../../ui/Popover";
import { LEAD_STATUSES, statusLabel } from "./api";
import { COLUMNS, parseCellInput } from "./columns";

const BULK_FIELDS = COLUMNS.filter((c) => c.editable && c.id !== "username");

export type BulkScope = "selected" | "matching";

/** One change applied to the selected rows, or to every lead matching the search and filters. */
export function BulkEdit({
  selected,
  matching,
  matchingIsEstimate = false,
  onApply,
}: {
  selected: number;
  matching: number;
  /** `matching` is an estimate (the server is still counting). */
  matchingIsEstimate?: boolean;
  onApply: (scope: BulkScope, field: string, value: unknown) => Promise<void>;
}) {
  const [field, setField] = useState("status");
  const [value, setValue] = useState<string>("qualified");
  const [scope, setScope] = useState<BulkScope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const col = BULK_FIELDS.find((c) => c.id === field)!;
  const effectiveScope: BulkScope = selected > 0 ? (scope ?? "selected") : "matching";
  return (
    <Popover label="Bulk edit" icon={<PencilLine size={14} aria-hidden />} ariaLabel="Bulk edit">
      {(close) => (
        <form
          className="sort-menu"
          onSubmit={async (e) => {
            e.preventDefault();
            const p = parseCellInput(col, col.kind === "bool" ? value === "true" : value);
            if ("error" in p) return setError(p.error);
            setError(null);
            setBusy(true);
            await onApply(effectiveScope, field, p.value);
            setBusy(false);
            close();
          }}
        >
          <fieldset className="check-list">
            <legend className="small muted">Change</legend>
            <label className="check-row">
              <input type="radio" name="bulk-scope" disabled={!selected} checked={effectiveScope === "selected"} onChange={() => setScope("selected")} />
              {selected} selected row{selected === 1 ? "" : "s"}
            </label>
            <label className="check-row">
              <input type="radio" name="bulk-scope" checked={effectiveScope === "matching"} onChange={() => setScope("matching")} />
              all {matchingIsEstimate ? "≈" : ""}
              {matching.toLocaleString()}
              {matchingIsEstimate ? "+" : ""} matching lead{matching === 1 ? "" : "s"}
            </label>
          </fieldset>
          <select
            className="input input-sm"
            aria-label="Field to change"
            value={field}
            onChange={(e) => {
              setField(e.target.value);
              setValue(e.target.value === "status" ? "qualified" : e.target.value === "is_business" ? "true" : "");
            }}
          >
            {BULK_FIELDS.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
          {col.kind === "status" ? (
            <select className="input input-sm" aria-label="New value" value={value} onChange={(e) => setValue(e.target.value)}>
              {LEAD_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusLabel(s)}
                </option>
              ))}
            </select>
          ) : col.kind === "bool" ? (
            <select className="input input-sm" aria-label="New value" value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="true">yes</option>
              <option value="false">no</option>
            </select>
          ) : (
            <input
              className="input input-sm"
              aria-label="New value"
              placeholder={col.kind === "tags" ? "tag, tag (replaces)" : "empty clears the field"}
              value={value}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
          {error && <div className="field-error">{error}</div>}
          <Button type="submit" size="sm" variant="primary" loading={busy}>
            Apply
          </Button>
        </form>
      )}
    </Popover>
  );
}
