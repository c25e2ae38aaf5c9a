// Fixtures shaped exactly like /work/briefs/pipeline-spec.md's Session, for the tests of this feature.
import type { Session, StageProgress } from "./api";

export function stage(stage: StageProgress["stage"], over: Partial<StageProgress> = {}): StageProgress {
  return { stage, status: "pending", done: 0, total: 0, failed: 0, ...over };
}

export function session(over: Partial<Session> = {}): Session {
  return {
    id: "s1",
    name: null,
    status: "running",
    created_at: "2026-12-06T08:00:00Z",
    started_at: "2026-12-06T08:00:01Z",
    finished_at: null,
    hashtags: ["fitness", "yoga"],
    stages: ["crawl", "enrich", "contacts", "dedupe", "drafts"],
    product_id: "p1",
    product_name: "Coaching",
    options: {
      posts_per_hashtag: 50,
      max_new_leads: 200,
      filters: { min_followers: null, max_followers: null, business_only: false, require_contact: false, skip_private: true, bio_language: null },
      pacing: { batch_size: 25, pause_min_seconds: 20, pause_max_seconds: 60 },
      discover_related: false,
    },
    current_stage: "enrich",
    stage_progress: [
      stage("crawl", { status: "done", done: 2, total: 2 }),
      stage("enrich", { status: "running", done: 50, total: 200, failed: 2 }),
      stage("contacts"),
      stage("dedupe"),
      stage("drafts"),
    ],
    counts: { profiles_found: 200, leads_added: 40, leads_updated: 8, merged: 0, dropped_dnc: 0, dropped_filter: 0, contacts_found: 0, drafts: 0, failed: 2 },
    cost_usd: 0.42,
    pause: null,
    eta_seconds: 300,
    related_hashtags: [],
    summary: null,
    last_error: null,
    ...over,
  };
}
