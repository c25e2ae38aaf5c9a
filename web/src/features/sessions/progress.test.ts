import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import {
  canCancel,
  canResume,
  canRetryFailed,
  currentStage,
  etaText,
  leadsChanged,
  overallPercent,
  pauseLeft,
  pauseText,
  runningOperation,
  sessionTitle,
  stagePercents,
  usd,
} from "./api";
import { safeSources } from "./sources";
import { session, stage } from "./testData";

describe("progress maths", () => {
  it("splits a stage's bar into done and failed", () => {
    expect(stagePercents(stage("enrich", { status: "running", done: 50, total: 200, failed: 2 }))).toEqual({ done: 25, failed: 1 });
    expect(stagePercents(stage("enrich", { status: "running", done: 999, total: 1000, failed: 1 }))).toEqual({ done: 99, failed: 1 });
    expect(stagePercents(stage("enrich", { status: "done", done: 10, total: 10 }))).toEqual({ done: 100, failed: 0 });
    expect(stagePercents(stage("crawl", { status: "done" }))).toEqual({ done: 100, failed: 0 });
    expect(stagePercents(stage("crawl", { status: "skipped" }))).toEqual({ done: 100, failed: 0 });
    expect(stagePercents(stage("crawl", { status: "pending" }))).toEqual({ done: 0, failed: 0 });
    // Never above 100, even when a server counts an item twice.
    const over = stagePercents(stage("drafts", { status: "running", done: 12, total: 10, failed: 3 }));
    expect(over.done + over.failed).toBeLessThanOrEqual(100);
  });

  it("picks the stage the list shows", () => {
    expect(currentStage(session())?.stage).toBe("enrich");
    expect(currentStage(session({ current_stage: null }))?.stage).toBe("enrich");
    const done = session({
      status: "done",
      current_stage: null,
      stage_progress: [stage("crawl", { status: "done", done: 1, total: 1 }), stage("enrich", { status: "done", done: 5, total: 5 })],
    });
    expect(currentStage(done)?.stage).toBe("enrich");
    expect(currentStage(session({ current_stage: null, stage_progress: [stage("crawl"), stage("enrich")] }))?.stage).toBe("crawl");
    expect(currentStage(session({ stage_progress: [] }))).toBeNull();
  });

  it("weighs every stage the same for the whole session", () => {
    // crawl done (1) + enrich 52/200 (0.26) of 5 stages.
    expect(overallPercent(session())).toBe(25);
    expect(overallPercent(session({ status: "done" }))).toBe(100);
    expect(overallPercent(session({ stage_progress: [] }))).toBe(0);
    expect(overallPercent(session({ stage_progress: [stage("crawl", { status: "skipped" }), stage("drafts", { status: "running", done: 1, total: 4 })] }))).toBe(62);
  });

  it("counts a pause down from its end", () => {
    const now = Date.parse("2026-12-06T08:10:00Z");
    expect(pauseLeft({ until: "2026-12-06T08:10:47Z", seconds: 60, remaining_seconds: 47 }, now)).toBe(47);
    expect(pauseLeft({ until: "2026-12-06T08:09:00Z", seconds: 60, remaining_seconds: 0 }, now)).toBe(0);
    expect(pauseLeft({ until: "not a date", seconds: 60, remaining_seconds: 12 }, now)).toBe(12);
    expect(pauseLeft(null, now)).toBeNull();
    expect(pauseText(47)).toBe("waiting 47 s before the next batch");
    expect(pauseText(0)).toBe("starting the next batch…");
    expect(pauseText(null)).toBeNull();
  });

  it("says the time left and the cost in words", () => {
    expect(etaText(30)).toBe("under a minute left");
    expect(etaText(125)).toBe("about 2 min left");
    expect(etaText(3900)).toBe("about 1 h 5 min left");
    expect(etaText(7200)).toBe("about 2 h left");
    expect(etaText(null)).toBeNull();
    expect(usd(0)).toBe("$0.00");
    expect(usd(1234.5)).toBe("$1,234.50");
    expect(usd(0.004)).toBe("$0.0040");
  });
});

describe("session helpers", () => {
  it("offer the actions a status allows", () => {
    expect(canCancel(session())).toBe(true);
    expect(canCancel(session({ status: "cancelling" }))).toBe(false);
    expect(canResume(session({ status: "cancelled" }))).toBe(true);
    expect(canResume(session({ status: "done" }))).toBe(false);
    expect(canRetryFailed(session())).toBe(false);
    expect(canRetryFailed(session({ status: "done" }))).toBe(true);
    expect(canRetryFailed(session({ status: "done", counts: { ...session().counts, failed: 0 }, stage_progress: [stage("crawl", { status: "done" })] }))).toBe(false);
  });

  it("name a session by its name, its hashtags or what it does", () => {
    expect(sessionTitle(session({ name: "Spring" }))).toBe("Spring");
    expect(sessionTitle(session({ hashtags: ["a", "b", "c", "d", "e"] }))).toBe("#a, #b, #c +2");
    expect(sessionTitle(session({ hashtags: [], stages: ["drafts"], stage_progress: [stage("drafts", { total: 12 })] }))).toBe("Drafts for 12 leads");
  });

  it("notice when the leads a session touched changed", () => {
    const a = session();
    expect(leadsChanged(a, session())).toBe(false);
    expect(leadsChanged(a, session({ counts: { ...a.counts, leads_added: 41 } }))).toBe(true);
    expect(leadsChanged(a, session({ counts: { ...a.counts, leads_updated: 9 } }))).toBe(true);
    expect(leadsChanged(a, session({ cost_usd: 1 }))).toBe(false);
    expect(leadsChanged(undefined, a)).toBe(false);
  });

  it("read the running session out of a 409", () => {
    const e = new ApiError(409, "heavy_operation_running", "busy", { session_id: "s9", name: "Spring" });
    expect(runningOperation(e)).toEqual({ session_id: "s9", name: "Spring" });
    expect(runningOperation(new ApiError(409, "lead_version_conflict", "x"))).toBeNull();
    expect(runningOperation(new Error("x"))).toBeNull();
  });

  it("show only http(s) sources, once each", () => {
    expect(
      safeSources([
        { url: "https://www.studio-yoga.de/impressum", title: "Impressum – Studio Yoga" },
        { url: "https://www.studio-yoga.de/impressum", title: "again" },
        { url: "javascript:alert(1)", title: "bad" },
        { url: "not a url", title: null },
        { url: "http://example.com/", title: null },
      ]),
    ).toEqual([
      { url: "https://www.studio-yoga.de/impressum", host: "studio-yoga.de", label: "Impressum – Studio Yoga" },
      { url: "http://example.com/", host: "example.com", label: "example.com" },
    ]);
    expect(safeSources(null)).toEqual([]);
  });
});
