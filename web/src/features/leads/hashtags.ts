import type { LeadHashtag } from "./api";

export interface SourceHashtag {
  /** Without the leading `#`. */
  hashtag: string;
  /** When a discovery run first found the username with it; null when only the lead's field names it. */
  found_at: string | null;
  /** True when it is the lead's own `source_hashtag` field. */
  source: boolean;
}

/** `#Travel ` → `travel`: the form two hashtags are compared in. */
export function hashtagKey(tag: string): string {
  return tag.trim().replace(/^#+/, "").trim().toLowerCase();
}

/**
 * The hashtags that found a lead: its `source_hashtag` field plus the recorded hashtag↔username pairs, one entry
 * per hashtag (case and `#` ignored; the earliest date wins). The field comes first when no pair dates it,
 * the rest oldest first (the field first among those found at the same time).
 */
export function sourceHashtags(field: string | null | undefined, found: readonly LeadHashtag[] | undefined): SourceHashtag[] {
  const byKey = new Map<string, SourceHashtag>();
  for (const f of found ?? []) {
    const key = hashtagKey(f.hashtag);
    if (!key) continue;
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, { hashtag: f.hashtag.trim().replace(/^#+/, ""), found_at: f.found_at, source: false });
    else if (prev.found_at && Date.parse(f.found_at) < Date.parse(prev.found_at)) prev.found_at = f.found_at;
  }
  const key = field ? hashtagKey(field) : "";
  const match = key ? byKey.get(key) : undefined;
  if (match) match.source = true;
  // Oldest first; on the same date (found in one run) the lead's own field first.
  const dated = [...byKey.values()].sort(
    (a, b) => Date.parse(a.found_at ?? "") - Date.parse(b.found_at ?? "") || Number(b.source) - Number(a.source),
  );
  if (!key || match) return dated;
  return [{ hashtag: field!.trim().replace(/^#+/, ""), found_at: null, source: true }, ...dated];
}
