// A lead's contact sources (LeadDto.contact_sources: the citations of the contact search). Only http(s) links are
// shown as links; anything else (javascript:, data:, garbage) is left out.
import type { ContactSource } from "./api";

export type { ContactSource };

export interface ShownSource {
  url: string;
  host: string;
  /** The page title, else the host and path. */
  label: string;
}

export function safeSources(sources: readonly ContactSource[] | null | undefined): ShownSource[] {
  const out: ShownSource[] = [];
  const seen = new Set<string>();
  for (const s of sources ?? []) {
    if (!s || typeof s.url !== "string") continue;
    let u: URL;
    try {
      u = new URL(s.url.trim());
    } catch {
      continue;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") continue;
    const url = u.toString();
    if (seen.has(url)) continue;
    seen.add(url);
    const host = u.hostname.replace(/^www\./, "");
    const path = u.pathname === "/" ? "" : u.pathname;
    const title = typeof s.title === "string" ? s.title.trim() : "";
    out.push({ url, host, label: title || `${host}${path}` });
  }
  return out;
}
