import { useEffect, useState } from "react";
import { Filter, Plus, Search, X } from "lucide-react";
import { Button } from "../../ui/Button";
import { Popover } from "../../ui/Popover";
import { LEAD_STATUSES, statusLabel } from "./api";
import { COLUMNS } from "./columns";
import {
  CMPS,
  DATE_PRESETS,
  FOLLOWER_PRESETS,
  TEXT_FIELDS,
  NUMBER_FIELDS,
  DATE_FIELDS,
  chipsFor,
  fieldKind,
  removeChip,
  EMPTY_FILTERS,
  type AdvancedRule,
  type DatePreset,
  type FilterState,
  type FollowersPreset,
  type TriState,
} from "./filterTree";

const FIELD_LABELS: Record<string, string> = {
  ...Object.fromEntries(COLUMNS.map((c) => [c.id, c.title])),
  enriched_at: "Enriched",
};
const ADV_FIELDS = [...TEXT_FIELDS, ...NUMBER_FIELDS, ...DATE_FIELDS, "status", "tags"];

function newRule(): AdvancedRule {
  return { id: Math.random().toString(36).slice(2, 9), field: "full_name", cmp: "contains", value: "" };
}

function NumberBox({ label, value, onChange }: { label: string; value: number | null; onChange: (v: number | null) => void }) {
  const [text, setText] = useState(value === null ? "" : String(value));
  useEffect(() => setText(value === null ? "" : String(value)), [value]);
  return (
    <input
      className="input input-sm num"
      inputMode="numeric"
      aria-label={label}
      placeholder={label}
      value={text}
      style={{ width: 90 }}
      onChange={(e) => setText(e.target.value)}
      onBlur={() => {
        const t = text.replace(/[\s,_]/g, "");
        const n = t === "" ? null : Number(t);
        onChange(n === null || !Number.isFinite(n) ? null : Math.max(0, Math.floor(n)));
      }}
      onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
    />
  );
}

export function FilterBar({
  search,
  onSearch,
  filters,
  onFilters,
}: {
  search: string;
  onSearch: (s: string) => void;
  filters: FilterState;
  onFilters: (f: FilterState) => void;
}) {
  const chips = chipsFor(filters, FIELD_LABELS);
  const set = (patch: Partial<FilterState>) => onFilters({ ...filters, ...patch });
  const advCount = filters.advanced.rules.length;
  return (
    <div className="filter-area">
      <div className="filter-bar" role="search">
        <label className="search-box">
          <Search size={14} aria-hidden />
          <span className="sr-only">Search leads</span>
          <input
            className="input input-sm"
            type="search"
            placeholder="Search username, name, bio, email"
            value={search}
            onChange={(e) => onSearch(e.target.value)}
          />
        </label>
        <select
          className="input input-sm"
          aria-label="Followers"
          value={filters.followers.preset}
          onChange={(e) => set({ followers: { ...filters.followers, preset: e.target.value as FollowersPreset } })}
        >
          <option value="">Followers</option>
          {FOLLOWER_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.id === "custom" ? "Custom range…" : `${p.label} followers`}
            </option>
          ))}
        </select>
        {filters.followers.preset === "custom" && (
          <span className="row gap custom-range">
            <NumberBox label="Min followers" value={filters.followers.min} onChange={(min) => set({ followers: { ...filters.followers, min } })} />
            <span className="muted">–</span>
            <NumberBox label="Max followers" value={filters.followers.max} onChange={(max) => set({ followers: { ...filters.followers, max } })} />
          </span>
        )}
        <select className="input input-sm" aria-label="Added" value={filters.created} onChange={(e) => set({ created: e.target.value as DatePreset })}>
          <option value="">Added</option>
          {DATE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              Added {p.label.toLowerCase()}
            </option>
          ))}
        </select>
        <Popover label={filters.statuses.length ? `Status (${filters.statuses.length})` : "Status"} ariaLabel="Status filter">
          <fieldset className="check-list">
            <legend className="sr-only">Status</legend>
            {LEAD_STATUSES.map((s) => (
              <label key={s} className="check-row">
                <input
                  type="checkbox"
                  checked={filters.statuses.includes(s)}
                  onChange={(e) =>
                    set({ statuses: e.target.checked ? [...filters.statuses, s] : filters.statuses.filter((x) => x !== s) })
                  }
                />
                {statusLabel(s)}
              </label>
            ))}
          </fieldset>
        </Popover>
        <select className="input input-sm" aria-label="Has email" value={filters.hasEmail} onChange={(e) => set({ hasEmail: e.target.value as TriState })}>
          <option value="">Email</option>
          <option value="yes">Has email</option>
          <option value="no">No email</option>
        </select>
        <select className="input input-sm" aria-label="Business" value={filters.isBusiness} onChange={(e) => set({ isBusiness: e.target.value as TriState })}>
          <option value="">Business</option>
          <option value="yes">Business only</option>
          <option value="no">Not business</option>
        </select>
        <Popover
          label={advCount ? `Advanced (${advCount})` : "Advanced"}
          icon={<Filter size={14} aria-hidden />}
          ariaLabel="Advanced filters"
        >
          <AdvancedEditor filters={filters} onFilters={onFilters} />
        </Popover>
      </div>
      {chips.length > 0 && (
        <ul className="chips" aria-label="Active filters">
          {chips.map((c) => (
            <li key={c.key} className="chip">
              <span>{c.label}</span>
              <button type="button" aria-label={`Remove filter ${c.label}`} onClick={() => onFilters(removeChip(filters, c.key))}>
                <X size={12} aria-hidden />
              </button>
            </li>
          ))}
          <li>
            <button type="button" className="link-btn small" onClick={() => onFilters(EMPTY_FILTERS)}>
              Clear all
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

function AdvancedEditor({ filters, onFilters }: { filters: FilterState; onFilters: (f: FilterState) => void }) {
  const adv = filters.advanced;
  const setAdv = (a: FilterState["advanced"]) => onFilters({ ...filters, advanced: a });
  const setRule = (id: string, patch: Partial<AdvancedRule>) =>
    setAdv({ ...adv, rules: adv.rules.map((r) => (r.id === id ? { ...r, ...patch } : r)) });
  return (
    <div className="adv-editor">
      <div className="row gap">
        <span className="small muted">Match</span>
        <select
          className="input input-sm"
          aria-label="Match all or any"
          value={adv.op}
          onChange={(e) => setAdv({ ...adv, op: e.target.value as "and" | "or" })}
        >
          <option value="and">all rules (AND)</option>
          <option value="or">any rule (OR)</option>
        </select>
        <span className="small muted">— combined with the bar's filters by AND</span>
      </div>
      {adv.rules.length === 0 && <p className="small muted">No rules yet. Add one to filter on any field.</p>}
      {adv.rules.map((r, i) => {
        const kind = fieldKind(r.field);
        const cmp = CMPS[kind].find((c) => c.id === r.cmp) ?? CMPS[kind][0];
        return (
          <div key={r.id} className="adv-rule">
            <select
              className="input input-sm"
              aria-label={`Field of rule ${i + 1}`}
              value={r.field}
              onChange={(e) => {
                const k = fieldKind(e.target.value);
                setRule(r.id, { field: e.target.value, cmp: CMPS[k][0].id, value: "" });
              }}
            >
              {ADV_FIELDS.map((f) => (
                <option key={f} value={f}>
                  {FIELD_LABELS[f] ?? f}
                </option>
              ))}
            </select>
            <select className="input input-sm" aria-label={`Comparison of rule ${i + 1}`} value={cmp.id} onChange={(e) => setRule(r.id, { cmp: e.target.value })}>
              {CMPS[kind].map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
            {cmp.needsValue &&
              (kind === "date" && cmp.id === "preset" ? (
                <select className="input input-sm" aria-label={`Value of rule ${i + 1}`} value={r.value} onChange={(e) => setRule(r.id, { value: e.target.value })}>
                  <option value="">choose…</option>
                  {DATE_PRESETS.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  className="input input-sm"
                  aria-label={`Value of rule ${i + 1}`}
                  placeholder={kind === "status" || kind === "tags" ? "a, b" : kind === "number" && cmp.id === "between" ? "1000-5000" : kind === "date" ? "2026-01-01, 2026-02-01" : "value"}
                  value={r.value}
                  onChange={(e) => setRule(r.id, { value: e.target.value })}
                />
              ))}
            <button
              type="button"
              className="icon-btn"
              aria-label={`Remove rule ${i + 1}`}
              onClick={() => setAdv({ ...adv, rules: adv.rules.filter((x) => x.id !== r.id) })}
            >
              <X size={14} aria-hidden />
            </button>
          </div>
        );
      })}
      <Button size="sm" icon={<Plus size={14} aria-hidden />} onClick={() => setAdv({ ...adv, rules: [...adv.rules, newRule()] })}>
        Add rule
      </Button>
    </div>
  );
}
