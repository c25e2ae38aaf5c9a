// The new-session form: its state, the hashtag chips' normalisation and the same checks the API makes, with the
// API's field names (`hashtags[2]`, `filters.min_followers`, `pacing.batch_size`) so local and server errors show
// in the same place.
import { STAGES, type SessionInput, type StageName } from "./api";

export const MAX_HASHTAGS = 50;
export const MAX_HASHTAG_LEN = 100;
export const MAX_LEAD_IDS = 5000;

/** Everything the form edits; numbers stay text while typed. */
export interface SessionForm {
  name: string;
  hashtags: string[];
  discover_related: boolean;
  posts_per_hashtag: string;
  max_new_leads: string;
  min_followers: string;
  max_followers: string;
  business_only: boolean;
  require_contact: boolean;
  skip_private: boolean;
  bio_language: string;
  product_id: string;
  stages: StageName[];
  batch_size: string;
  pause_min_seconds: string;
  pause_max_seconds: string;
}

export const DEFAULT_FORM: SessionForm = {
  name: "",
  hashtags: [],
  discover_related: false,
  posts_per_hashtag: "50",
  max_new_leads: "200",
  min_followers: "",
  max_followers: "",
  business_only: false,
  require_contact: false,
  skip_private: true,
  bio_language: "",
  product_id: "",
  stages: [...STAGES],
  batch_size: "25",
  pause_min_seconds: "20",
  pause_max_seconds: "60",
};

/** Languages offered for the bio filter (ISO 639-1); empty = any. */
export const BIO_LANGUAGES: Array<{ code: string; label: string }> = [
  { code: "", label: "Any language" },
  { code: "de", label: "German" },
  { code: "en", label: "English" },
  { code: "fr", label: "French" },
  { code: "es", label: "Spanish" },
  { code: "it", label: "Italian" },
  { code: "nl", label: "Dutch" },
];

/** `#Fitness ` → `fitness`: leading `#`s and every space go, the rest is lowercased (as the API does). */
export function normaliseHashtag(raw: string): string {
  return raw.replace(/\s+/g, "").replace(/^#+/, "").toLowerCase();
}

const HASHTAG_RE = /^[\p{L}\p{N}_]+$/u;

/** Why a (normalised) hashtag is not accepted, or null. */
export function hashtagProblem(tag: string): string | null {
  if (!tag) return "Type a hashtag.";
  if ([...tag].length > MAX_HASHTAG_LEN) return `At most ${MAX_HASHTAG_LEN} characters.`;
  if (!HASHTAG_RE.test(tag)) return "Only letters, digits and _ (no other signs).";
  return null;
}

/**
 * What the chip input adds for typed or pasted text: split at commas, semicolons, line breaks and before a `#`
 * that follows a space ("#yoga #fit"), each piece normalised; empty pieces and tags already there are left out.
 */
export function chipsFrom(text: string, existing: readonly string[] = []): string[] {
  const out: string[] = [];
  const seen = new Set(existing);
  for (const piece of text.split(/[,;\n\r]+|\s+(?=#)/)) {
    const tag = normaliseHashtag(piece);
    if (!tag || seen.has(tag)) continue;
    seen.add(tag);
    out.push(tag);
  }
  return out;
}

export type FieldErrorMap = Record<string, string[]>;

function intField(raw: string, { min, optional }: { min: number; optional?: boolean }): { value: number | null; error?: string } {
  const t = raw.trim().replace(/[\s.,'’](?=\d{3}\b)/g, "");
  if (!t) return optional ? { value: null } : { value: null, error: "Enter a number." };
  if (!/^-?\d+$/.test(t)) return { value: null, error: "Enter a whole number." };
  const n = Number(t);
  if (!Number.isSafeInteger(n)) return { value: null, error: "That number is too large." };
  if (n < min) return { value: null, error: min === 0 ? "Can't be negative." : `At least ${min}.` };
  return { value: n };
}

/**
 * Checks the form like the API does and builds the request body; errors are keyed by the API's field names.
 * `leadIds`: a drafts-only run for a grid selection (no hashtags, stages `["drafts"]`).
 */
export function buildSessionInput(form: SessionForm, leadIds: string[] | null = null): { body: SessionInput } | { errors: FieldErrorMap } {
  const errors: FieldErrorMap = {};
  const add = (field: string, msg: string) => (errors[field] ??= []).push(msg);

  const selection = leadIds !== null;
  const hashtags = selection ? [] : form.hashtags.map(normaliseHashtag);
  if (!selection) {
    if (hashtags.length === 0) add("hashtags", "Add at least one hashtag.");
    if (hashtags.length > MAX_HASHTAGS) add("hashtags", `At most ${MAX_HASHTAGS} hashtags (${hashtags.length} now).`);
    hashtags.forEach((t, i) => {
      const p = hashtagProblem(t);
      if (p) add(`hashtags[${i}]`, p);
    });
  } else {
    if (leadIds.length === 0) add("lead_ids", "Select at least one lead.");
    if (leadIds.length > MAX_LEAD_IDS) add("lead_ids", `At most ${MAX_LEAD_IDS.toLocaleString()} leads at once.`);
  }

  const num = (field: string, raw: string, opts: { min: number; optional?: boolean }) => {
    const r = intField(raw, opts);
    if (r.error) add(field, r.error);
    return r.value;
  };
  const posts = num("posts_per_hashtag", form.posts_per_hashtag, { min: 1 });
  const maxNew = num("max_new_leads", form.max_new_leads, { min: 1 });
  const minF = num("filters.min_followers", form.min_followers, { min: 0, optional: true });
  const maxF = num("filters.max_followers", form.max_followers, { min: 0, optional: true });
  if (minF !== null && maxF !== null && maxF < minF) add("filters.max_followers", "Must not be below the minimum.");
  const batch = num("pacing.batch_size", form.batch_size, { min: 1 });
  const pMin = num("pacing.pause_min_seconds", form.pause_min_seconds, { min: 0 });
  const pMax = num("pacing.pause_max_seconds", form.pause_max_seconds, { min: 0 });
  if (pMin !== null && pMax !== null && pMax < pMin) add("pacing.pause_max_seconds", "Must not be below the shortest pause.");

  const stages: StageName[] = selection ? ["drafts"] : STAGES.filter((s) => form.stages.includes(s));
  if (stages.length === 0) add("stages", "Pick at least one stage.");
  const productId = form.product_id || null;
  if (stages.includes("drafts") && !productId) add("product_id", "Pick the product the e-mails are about.");
  const name = form.name.trim();
  if (name.length > 200) add("name", "At most 200 characters.");

  if (Object.keys(errors).length) return { errors };
  return {
    body: {
      // A grid selection's run is named for what it does ("Drafts for 2 leads"), as the list and its page show it.
      name: name || (selection ? `Drafts for ${leadIds.length.toLocaleString("en-US")} lead${leadIds.length === 1 ? "" : "s"}` : null),
      hashtags,
      discover_related: selection ? false : form.discover_related,
      posts_per_hashtag: posts!,
      max_new_leads: maxNew!,
      filters: {
        min_followers: minF,
        max_followers: maxF,
        business_only: form.business_only,
        require_contact: form.require_contact,
        skip_private: form.skip_private,
        bio_language: form.bio_language.trim() || null,
      },
      product_id: productId,
      stages,
      pacing: { batch_size: batch!, pause_min_seconds: pMin!, pause_max_seconds: pMax! },
      lead_ids: selection ? leadIds : null,
    },
  };
}

/**
 * A server's field name in the form's naming: `filters.min_followers`, `filters[min_followers]` and a bare
 * `min_followers` all mean the filter; `hashtags.2` is `hashtags[2]`.
 */
export function canonicalField(name: string): string {
  let n = name.trim().replace(/\[(\D\w*)\]/g, ".$1").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
  const filters = ["min_followers", "max_followers", "business_only", "require_contact", "skip_private", "bio_language"];
  const pacing = ["batch_size", "pause_min_seconds", "pause_max_seconds"];
  if (filters.includes(n)) n = `filters.${n}`;
  if (pacing.includes(n)) n = `pacing.${n}`;
  if (n.startsWith("options.")) n = n.slice("options.".length);
  return n;
}

/** The API's 422 field errors keyed like the form's own. */
export function canonicalErrors(fields: Record<string, string[]>): FieldErrorMap {
  const out: FieldErrorMap = {};
  for (const [k, v] of Object.entries(fields)) (out[canonicalField(k)] ??= []).push(...v);
  return out;
}

/** Fields the form shows errors next to; a server error about any other field is listed on its own. */
export function isFormField(name: string): boolean {
  return (
    /^hashtags(\[\d+\])?$/.test(name) ||
    /^(filters|pacing)\./.test(name) ||
    ["name", "posts_per_hashtag", "max_new_leads", "product_id", "stages"].includes(name)
  );
}

/** Server errors about fields the form does not show, as "field: message" lines. */
export function otherFieldErrors(errors: FieldErrorMap): string[] {
  return Object.entries(errors)
    .filter(([k]) => !isFormField(k))
    .flatMap(([k, msgs]) => msgs.map((m) => `${k}: ${m}`));
}

/** Errors of chip `i` (`hashtags[i]`). */
export function chipErrors(errors: FieldErrorMap, i: number): string[] | undefined {
  return errors[`hashtags[${i}]`];
}

/** Every hashtag error as lines for under the chip field: "#bad-tag: Only letters…" plus the list's own errors. */
export function hashtagErrorLines(errors: FieldErrorMap, tags: readonly string[]): string[] {
  const lines = [...(errors.hashtags ?? [])];
  for (const [k, msgs] of Object.entries(errors)) {
    const m = /^hashtags\[(\d+)\]$/.exec(k);
    if (!m) continue;
    const tag = tags[Number(m[1])];
    for (const msg of msgs) lines.push(tag !== undefined ? `#${tag}: ${msg}` : msg);
  }
  return lines;
}

/** A form prefilled from `?hashtags=a,b` (a finished session's "start again with these"). */
export function formFromParams(params: URLSearchParams): SessionForm {
  const tags = chipsFrom(params.get("hashtags") ?? "");
  return { ...DEFAULT_FORM, hashtags: tags };
}
