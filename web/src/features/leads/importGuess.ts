import { COLUMNS } from "./columns";

/** Lead fields a CSV column can fill. */
export const IMPORT_FIELDS: Array<{ id: string; label: string }> = [
  ...COLUMNS.filter((c) => c.editable).map((c) => ({ id: c.id, label: c.title })),
  { id: "email_subject", label: "Email subject" },
  { id: "email_body", label: "Email body" },
];

const SYNONYMS: Record<string, string[]> = {
  username: ["username", "user", "handle", "instagram", "ig", "iguser", "instagramusername", "account", "login", "benutzername", "nutzername"],
  full_name: ["fullname", "name", "displayname", "realname", "vollername", "vollstaendigername", "anzeigename"],
  followers: ["followers", "followercount", "followerscount", "follower", "abonnenten", "followeranzahl"],
  following: ["following", "followingcount", "follows", "abonniert", "gefolgt"],
  posts: ["posts", "postcount", "postscount", "media", "mediacount", "beitraege"],
  email: ["email", "mail", "emailaddress", "publicemail", "businessemail", "emailadresse"],
  phone: ["phone", "phonenumber", "tel", "telephone", "mobile", "contactphone", "telefon", "telefonnummer", "handy"],
  website: ["website", "url", "site", "externalurl", "link", "homepage", "webseite"],
  biography: ["biography", "bio", "description", "about", "beschreibung", "biografie"],
  business_category: ["businesscategory", "category", "categoryname", "kategorie", "branche"],
  source_hashtag: ["sourcehashtag", "hashtag", "tag", "source"],
  is_business: ["isbusiness", "business", "isbusinessaccount", "businessaccount"],
  status: ["status", "stage", "state"],
  tags: ["tags", "labels"],
  notes: ["notes", "note", "comment", "comments", "notizen", "bemerkung"],
};

/** Lowercased, umlauts spelt out (ä → ae, ß → ss), letters and digits only — as the server compares headers. */
export function normaliseHeader(h: string): string {
  return h
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss")
    .normalize("NFKD")
    .replace(/[^a-z0-9]/g, "");
}

/** Best field for each CSV header (null: skip); each field is used at most once. */
export function guessMapping(headers: string[]): Record<string, string | null> {
  const used = new Set<string>();
  const out: Record<string, string | null> = {};
  for (const h of headers) {
    const n = normaliseHeader(h);
    let hit: string | null = null;
    for (const [field, names] of Object.entries(SYNONYMS)) {
      if (!used.has(field) && names.includes(n)) {
        hit = field;
        break;
      }
    }
    if (!hit) {
      for (const f of IMPORT_FIELDS) {
        if (!used.has(f.id) && (normaliseHeader(f.id) === n || normaliseHeader(f.label) === n)) {
          hit = f.id;
          break;
        }
      }
    }
    if (hit) used.add(hit);
    out[h] = hit;
  }
  return out;
}
