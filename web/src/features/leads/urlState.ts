// The grid's search, filters and sort in the address bar (`?q=…&sort=…&f=…`), so a view can be shared and
// reloaded. Pure functions: the page decides when to read and write them.
import { EMPTY_FILTERS, SORTABLE, type FilterState, type SortKey } from "./filterTree";

export interface UrlViewState {
  search: string;
  filters: FilterState;
  sort: SortKey[];
}

/** The keys this file owns; other parameters (`owner`) are left alone. */
export const URL_KEYS = ["q", "sort", "f"] as const;

/** `followers:desc,created_at:asc` → sort keys (unknown columns and directions dropped). */
export function parseSort(raw: string): SortKey[] {
  const out: SortKey[] = [];
  for (const part of raw.split(",")) {
    const [col, dir] = part.split(":");
    if (!(SORTABLE as readonly string[]).includes(col) || (dir !== "asc" && dir !== "desc")) continue;
    if (out.some((k) => k.col === col)) continue;
    out.push({ col, dir });
  }
  return out;
}

/** Only the parts of the filters that differ from none, as compact JSON ("" when there are none). */
export function encodeFilters(f: FilterState): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f) as Array<[keyof FilterState, unknown]>) {
    if (JSON.stringify(v) !== JSON.stringify(EMPTY_FILTERS[k])) out[k] = v;
  }
  return Object.keys(out).length ? JSON.stringify(out) : "";
}

export function decodeFilters(raw: string): FilterState | null {
  try {
    const v = JSON.parse(raw) as Partial<FilterState> | null;
    if (!v || typeof v !== "object" || Array.isArray(v)) return null;
    return {
      ...EMPTY_FILTERS,
      ...v,
      followers: { ...EMPTY_FILTERS.followers, ...(v.followers ?? {}) },
      statuses: Array.isArray(v.statuses) ? v.statuses.map(String) : [],
      advanced: { ...EMPTY_FILTERS.advanced, ...(v.advanced ?? {}) },
    };
  } catch {
    return null;
  }
}

/** The view as URL parameters; an empty value means "remove the parameter". */
export function toParams(s: UrlViewState, defaultSort: SortKey[]): Record<(typeof URL_KEYS)[number], string> {
  const sort = s.sort.map((k) => `${k.col}:${k.dir}`).join(",");
  const def = defaultSort.map((k) => `${k.col}:${k.dir}`).join(",");
  return {
    q: s.search,
    sort: sort === def ? "" : sort || "none",
    f: encodeFilters(s.filters),
  };
}

/** What the URL says about the view, or null when it says nothing (then the remembered view is used). */
export function fromParams(p: URLSearchParams, defaultSort: SortKey[]): UrlViewState | null {
  if (!URL_KEYS.some((k) => p.has(k))) return null;
  const sortRaw = p.get("sort");
  return {
    search: p.get("q") ?? "",
    filters: (p.get("f") && decodeFilters(p.get("f")!)) || EMPTY_FILTERS,
    sort: sortRaw === null ? defaultSort : sortRaw === "none" ? [] : parseSort(sortRaw),
  };
}
