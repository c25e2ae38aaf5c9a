// Fixtures shaped exactly like /work/briefs/pipeline-spec.md's Session, for the tests of this feature.
import { act } from "@testing-library/react";
import type { Session, StageProgress } from "./api";

export function stage(stage: StageProgress["stage"], over: Partial<StageProgress> = {}): StageProgress {
  return { stage, status: "pending", done: 0, total: 0, failed: 0, ...over };
}

export function session(over: Partial<Session> = {}): Session {
  return {
    id: "s1",
    name: "",
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

/** A stand-in for the browser's EventSource: the test sends the server's messages. */
export class FakeEventSource {
  static all: FakeEventSource[] = [];
  url: string;
  init: unknown;
  closed = false;
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, Array<(e: MessageEvent) => void>>();
  constructor(url: string, init?: unknown) {
    this.url = url;
    this.init = init;
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  /** Delivers a message; resolves once React has rendered what it changed (the query cache notifies on a timer). */
  async send(type: "progress" | "done", s: Session) {
    await act(async () => {
      for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data: JSON.stringify(s) }));
      await new Promise((r) => setTimeout(r, 10));
    });
  }
  async fail() {
    await act(async () => {
      this.onerror?.(new Event("error"));
      await new Promise((r) => setTimeout(r, 10));
    });
  }
}

