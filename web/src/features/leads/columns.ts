import type { LeadDto } from "./api";

export type ColumnKind = "text" | "longtext" | "number" | "email" | "url" | "status" | "tags" | "bool" | "date";

export interface LeadColumn {
  id: keyof LeadDto & string;
  title: string;
  kind: ColumnKind;
  width: number;
  editable: boolean;
  sortable: boolean;
}

export const COLUMNS: LeadColumn[] = [
  { id: "username", title: "Username", kind: "text", width: 170, editable: true, sortable: true },
  { id: "full_name", title: "Full name", kind: "text", width: 170, editable: true, sortable: true },
  { id: "followers", title: "Followers", kind: "number", width: 100, editable: true, sortable: true },
  { id: "following", title: "Following", kind: "number", width: 100, editable: true, sortable: true },
  { id: "posts", title: "Posts", kind: "number", width: 80, editable: true, sortable: true },
  { id: "status", title: "Status", kind: "status", width: 130, editable: true, sortable: true },
  { id: "email", title: "Email", kind: "email", width: 200, editable: true, sortable: true },
  { id: "phone", title: "Phone", kind: "text", width: 130, editable: true, sortable: false },
  { id: "website", title: "Website", kind: "url", width: 180, editable: true, sortable: false },
  { id: "tags", title: "Tags", kind: "tags", width: 160, editable: true, sortable: false },
  { id: "is_business", title: "Business", kind: "bool", width: 80, editable: true, sortable: false },
  { id: "business_category", title: "Category", kind: "text", width: 140, editable: true, sortable: false },
  { id: "source_hashtag", title: "Hashtag", kind: "text", width: 120, editable: true, sortable: false },
  { id: "biography", title: "Biography", kind: "longtext", width: 240, editable: true, sortable: false },
  { id: "notes", title: "Notes", kind: "longtext", width: 200, editable: true, sortable: false },
  { id: "created_at", title: "Added", kind: "date", width: 150, editable: false, sortable: true },
  { id: "updated_at", title: "Updated", kind: "date", width: 150, editable: false, sortable: true },
  { id: "contacted_at", title: "Contacted", kind: "date", width: 150, editable: false, sortable: true },
];

export const COLUMN_BY_ID: Record<string, LeadColumn> = Object.fromEntries(COLUMNS.map((c) => [c.id, c]));

export const DEFAULT_VISIBLE: string[] = [
  "username",
  "full_name",
  "followers",
  "following",
  "posts",
  "status",
  "email",
  "website",
  "tags",
  "is_business",
  "source_hashtag",
  "created_at",
];

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Turns what a user typed or pasted into the value the API takes for a column; `{error}` when it is not valid
 * (the same rules the API applies, so most mistakes never leave the browser).
 */
export function parseCellInput(col: LeadColumn, raw: unknown): { value: unknown } | { error: string } {
  if (col.kind === "bool") {
    if (typeof raw === "boolean") return { value: raw };
    const s = String(raw ?? "").trim().toLowerCase();
    if (["true", "yes", "1", "y", "x"].includes(s)) return { value: true };
    if (["false", "no", "0", "n", ""].includes(s)) return { value: false };
    return { error: "Yes or no" };
  }
  if (col.kind === "tags") {
    const list = Array.isArray(raw) ? raw.map(String) : String(raw ?? "").split(/[,;]/);
    return { value: [...new Set(list.map((t) => t.trim()).filter(Boolean))] };
  }
  if (col.kind === "number") {
    if (raw === null || raw === undefined || raw === "") return { value: null };
    const n = typeof raw === "number" ? raw : Number(String(raw).replace(/[\s,_]/g, ""));
    if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) return { error: "A whole number, 0 or more" };
    return { value: n };
  }
  const s = String(raw ?? "").trim();
  if (col.id === "username") {
    const u = s.replace(/^@/, "").toLowerCase();
    if (!u) return { error: "Username is required" };
    return { value: u };
  }
  if (s === "") return { value: null };
  if (col.kind === "email" && !EMAIL_RE.test(s)) return { error: "Not a valid email address" };
  if (col.kind === "url" && !/^https?:\/\/\S+\.\S+/.test(s) && !/^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(s)) return { error: "Not a valid URL" };
  if (col.kind === "status") {
    const v = s.toLowerCase().replace(/\s+/g, "_");
    return { value: v };
  }
  return { value: s };
}

/** The text of a cell, for copy and the card list. */
export function cellText(col: LeadColumn, lead: LeadDto): string {
  const v = lead[col.id];
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.join(", ");
  if (col.kind === "bool") return v ? "yes" : "no";
  if (col.kind === "date") return formatShortDate(String(v));
  return String(v);
}

const shortDtf = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
export function formatShortDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : shortDtf.format(d);
}
