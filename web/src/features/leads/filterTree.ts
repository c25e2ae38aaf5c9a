// The filter bar's state, and the JSON filter tree the API takes (`GET /leads?filter=`).
// Pure functions: built and tested without React.

export type GroupOp = "and" | "or";
export interface FilterRule {
  field: string;
  cmp: string;
  value?: unknown;
}
export interface FilterGroup {
  op: GroupOp;
  rules: Array<FilterRule | FilterGroup>;
}

export type FollowersPreset = "" | "lt1k" | "1k-10k" | "10k-100k" | "gt100k" | "custom";
export type DatePreset = "" | "today" | "yesterday" | "last_7_days" | "last_30_days" | "this_month";
export type TriState = "" | "yes" | "no";

/** One rule of the advanced builder (a flat list joined by `op`). */
export interface AdvancedRule {
  id: string;
  field: string;
  cmp: string;
  value: string;
}

export interface FilterState {
  followers: { preset: FollowersPreset; min: number | null; max: number | null };
  created: DatePreset;
  statuses: string[];
  hasEmail: TriState;
  isBusiness: TriState;
  advanced: { op: GroupOp; rules: AdvancedRule[] };
}

export const EMPTY_FILTERS: FilterState = {
  followers: { preset: "", min: null, max: null },
  created: "",
  statuses: [],
  hasEmail: "",
  isBusiness: "",
  advanced: { op: "and", rules: [] },
};

export const FOLLOWER_PRESETS: Array<{ id: Exclude<FollowersPreset, "">; label: string }> = [
  { id: "lt1k", label: "< 1k" },
  { id: "1k-10k", label: "1k – 10k" },
  { id: "10k-100k", label: "10k – 100k" },
  { id: "gt100k", label: "> 100k" },
  { id: "custom", label: "Custom…" },
];

export const DATE_PRESETS: Array<{ id: Exclude<DatePreset, "">; label: string }> = [
  { id: "today", label: "Today" },
  { id: "yesterday", label: "Yesterday" },
  { id: "last_7_days", label: "Last 7 days" },
  { id: "last_30_days", label: "Last 30 days" },
  { id: "this_month", label: "This month" },
];

export const TEXT_FIELDS = [
  "username",
  "full_name",
  "biography",
  "email",
  "phone",
  "website",
  "source_hashtag",
  "business_category",
  "notes",
] as const;
export const NUMBER_FIELDS = ["followers", "following", "posts"] as const;
export const DATE_FIELDS = ["created_at", "updated_at", "enriched_at", "contacted_at"] as const;

export type FieldKind = "text" | "number" | "date" | "status" | "tags";
export function fieldKind(field: string): FieldKind {
  if ((NUMBER_FIELDS as readonly string[]).includes(field)) return "number";
  if ((DATE_FIELDS as readonly string[]).includes(field)) return "date";
  if (field === "status") return "status";
  if (field === "tags") return "tags";
  return "text";
}

export const CMPS: Record<FieldKind, Array<{ id: string; label: string; needsValue: boolean }>> = {
  text: [
    { id: "contains", label: "contains", needsValue: true },
    { id: "not_contains", label: "does not contain", needsValue: true },
    { id: "equals", label: "is", needsValue: true },
    { id: "starts_with", label: "starts with", needsValue: true },
    { id: "is_empty", label: "is empty", needsValue: false },
    { id: "not_empty", label: "is not empty", needsValue: false },
  ],
  number: [
    { id: "eq", label: "=", needsValue: true },
    { id: "gte", label: "≥", needsValue: true },
    { id: "lte", label: "≤", needsValue: true },
    { id: "between", label: "between (a-b)", needsValue: true },
    { id: "is_empty", label: "is empty", needsValue: false },
  ],
  date: [
    { id: "preset", label: "is in", needsValue: true },
    { id: "between", label: "between (from,to)", needsValue: true },
    { id: "is_empty", label: "is empty", needsValue: false },
  ],
  status: [
    { id: "in", label: "is any of", needsValue: true },
    { id: "not_in", label: "is none of", needsValue: true },
  ],
  tags: [
    { id: "has_any", label: "has any of", needsValue: true },
    { id: "has_all", label: "has all of", needsValue: true },
  ],
};

export function followersRule(f: FilterState["followers"]): FilterRule | null {
  switch (f.preset) {
    case "lt1k":
      return { field: "followers", cmp: "lte", value: 999 };
    case "1k-10k":
      return { field: "followers", cmp: "between", value: [1000, 9999] };
    case "10k-100k":
      return { field: "followers", cmp: "between", value: [10000, 99999] };
    case "gt100k":
      return { field: "followers", cmp: "gte", value: 100000 };
    case "custom": {
      const { min, max } = f;
      if (min !== null && max !== null) return { field: "followers", cmp: "between", value: [Math.min(min, max), Math.max(min, max)] };
      if (min !== null) return { field: "followers", cmp: "gte", value: min };
      if (max !== null) return { field: "followers", cmp: "lte", value: max };
      return null;
    }
    default:
      return null;
  }
}

function splitList(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** One advanced rule as an API rule, or null when it is incomplete (incomplete rules are ignored). */
export function advancedRule(r: AdvancedRule): FilterRule | null {
  const kind = fieldKind(r.field);
  const cmp = CMPS[kind].find((c) => c.id === r.cmp);
  if (!cmp) return null;
  if (!cmp.needsValue) return { field: r.field, cmp: r.cmp };
  const raw = r.value.trim();
  if (!raw) return null;
  if (kind === "number") {
    if (r.cmp === "between") {
      const parts = raw.split(/[-–,]/).map((s) => Number(s.trim()));
      if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) return null;
      return { field: r.field, cmp: r.cmp, value: [Math.min(...parts), Math.max(...parts)] };
    }
    const n = Number(raw);
    return Number.isFinite(n) ? { field: r.field, cmp: r.cmp, value: n } : null;
  }
  if (kind === "date" && r.cmp === "between") {
    const parts = splitList(raw);
    return parts.length === 2 ? { field: r.field, cmp: r.cmp, value: parts } : null;
  }
  if (kind === "status" || kind === "tags") {
    const parts = splitList(raw);
    return parts.length ? { field: r.field, cmp: r.cmp, value: parts } : null;
  }
  return { field: r.field, cmp: r.cmp, value: raw };
}

/** The filter tree for the current bar, or null when nothing filters. */
export function buildFilterTree(s: FilterState): FilterGroup | null {
  const rules: Array<FilterRule | FilterGroup> = [];
  const fr = followersRule(s.followers);
  if (fr) rules.push(fr);
  if (s.created) rules.push({ field: "created_at", cmp: "preset", value: s.created });
  if (s.statuses.length) rules.push({ field: "status", cmp: "in", value: [...s.statuses] });
  if (s.hasEmail) rules.push({ field: "has_email", cmp: "eq", value: s.hasEmail === "yes" });
  if (s.isBusiness) rules.push({ field: "is_business", cmp: "eq", value: s.isBusiness === "yes" });
  const adv = s.advanced.rules.map(advancedRule).filter((r): r is FilterRule => r !== null);
  if (adv.length === 1) rules.push(adv[0]);
  else if (adv.length > 1) {
    if (s.advanced.op === "and") rules.push(...adv);
    else rules.push({ op: "or", rules: adv });
  }
  return rules.length ? { op: "and", rules } : null;
}

/** The `filter` query parameter (JSON), or undefined when nothing filters. */
export function filterParam(s: FilterState): string | undefined {
  const t = buildFilterTree(s);
  return t ? JSON.stringify(t) : undefined;
}

export interface Chip {
  key: string;
  label: string;
}

function fmtNum(n: number): string {
  return new Intl.NumberFormat("en", { notation: "compact" }).format(n);
}

/** The active filters as removable chips. */
export function chipsFor(s: FilterState, labels: Record<string, string> = {}): Chip[] {
  const chips: Chip[] = [];
  const f = s.followers;
  if (f.preset && followersRule(f)) {
    const preset = FOLLOWER_PRESETS.find((p) => p.id === f.preset);
    let text = preset?.label ?? f.preset;
    if (f.preset === "custom") {
      text = f.min !== null && f.max !== null ? `${fmtNum(f.min)} – ${fmtNum(f.max)}` : f.min !== null ? `≥ ${fmtNum(f.min)}` : `≤ ${fmtNum(f.max ?? 0)}`;
    }
    chips.push({ key: "followers", label: `Followers: ${text}` });
  }
  if (s.created) chips.push({ key: "created", label: `Added: ${DATE_PRESETS.find((d) => d.id === s.created)?.label ?? s.created}` });
  for (const st of s.statuses) chips.push({ key: `status:${st}`, label: `Status: ${st.replace(/_/g, " ")}` });
  if (s.hasEmail) chips.push({ key: "hasEmail", label: s.hasEmail === "yes" ? "Has email" : "No email" });
  if (s.isBusiness) chips.push({ key: "isBusiness", label: s.isBusiness === "yes" ? "Business" : "Not business" });
  const complete = s.advanced.rules.filter((r) => advancedRule(r) !== null);
  complete.forEach((r, i) => {
    const cmp = CMPS[fieldKind(r.field)].find((c) => c.id === r.cmp);
    const join = i > 0 ? `${s.advanced.op.toUpperCase()} ` : "";
    chips.push({
      key: `adv:${r.id}`,
      label: `${join}${labels[r.field] ?? r.field} ${cmp?.label ?? r.cmp}${cmp?.needsValue ? ` ${r.value}` : ""}`,
    });
  });
  return chips;
}

/** The state without the filter a chip stands for. */
export function removeChip(s: FilterState, key: string): FilterState {
  if (key === "followers") return { ...s, followers: { preset: "", min: null, max: null } };
  if (key === "created") return { ...s, created: "" };
  if (key === "hasEmail") return { ...s, hasEmail: "" };
  if (key === "isBusiness") return { ...s, isBusiness: "" };
  if (key.startsWith("status:")) {
    const st = key.slice(7);
    return { ...s, statuses: s.statuses.filter((x) => x !== st) };
  }
  if (key.startsWith("adv:")) {
    const id = key.slice(4);
    return { ...s, advanced: { ...s.advanced, rules: s.advanced.rules.filter((r) => r.id !== id) } };
  }
  return s;
}

export function isEmptyFilter(s: FilterState): boolean {
  return buildFilterTree(s) === null;
}

// ---- sort ----

export interface SortKey {
  col: string;
  dir: "asc" | "desc";
}
export const SORTABLE = [
  "username",
  "full_name",
  "followers",
  "following",
  "posts",
  "status",
  "email",
  "created_at",
  "updated_at",
  "contacted_at",
] as const;
export const MAX_SORT = 4;

/**
 * A header click: plain click sorts by that column alone (asc → desc → off); shift-click adds it as the
 * next key (or flips it when it is already a key; a third click removes it).
 */
export function toggleSort(sort: SortKey[], col: string, additive: boolean): SortKey[] {
  if (!(SORTABLE as readonly string[]).includes(col)) return sort;
  const i = sort.findIndex((k) => k.col === col);
  if (!additive) {
    if (i < 0 || sort.length > 1) {
      const cur = i >= 0 ? sort[i] : null;
      if (cur && sort.length > 1) return [{ col, dir: cur.dir }];
      return [{ col, dir: col === "username" || col === "full_name" || col === "email" || col === "status" ? "asc" : "desc" }];
    }
    const cur = sort[i];
    const firstDir = col === "username" || col === "full_name" || col === "email" || col === "status" ? "asc" : "desc";
    return cur.dir === firstDir ? [{ col, dir: firstDir === "asc" ? "desc" : "asc" }] : [];
  }
  if (i < 0) {
    if (sort.length >= MAX_SORT) return sort;
    return [...sort, { col, dir: "asc" }];
  }
  const cur = sort[i];
  if (cur.dir === "asc") return sort.map((k, j) => (j === i ? { col, dir: "desc" as const } : k));
  return sort.filter((_, j) => j !== i);
}

export function sortParam(sort: SortKey[]): string | undefined {
  if (!sort.length) return undefined;
  return sort.map((k) => `${k.col}:${k.dir}`).join(",");
}
