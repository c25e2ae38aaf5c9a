import { describe, expect, it } from "vitest";
import { hashtagKey, sourceHashtags } from "./hashtags";

describe("sourceHashtags", () => {
  it("is empty without a field and without pairs", () => {
    expect(sourceHashtags(null, [])).toEqual([]);
    expect(sourceHashtags("  ", undefined)).toEqual([]);
  });

  it("puts an undated field first, then the pairs oldest first", () => {
    const out = sourceHashtags("#Travel", [
      { hashtag: "food", found_at: "2026-03-02T10:00:00Z" },
      { hashtag: "hiking", found_at: "2026-03-01T10:00:00Z" },
    ]);
    expect(out).toEqual([
      { hashtag: "Travel", found_at: null, source: true },
      { hashtag: "hiking", found_at: "2026-03-01T10:00:00Z", source: false },
      { hashtag: "food", found_at: "2026-03-02T10:00:00Z", source: false },
    ]);
  });

  it("merges the field with the pair of the same hashtag (case and # ignored) and keeps the earliest date", () => {
    const out = sourceHashtags("travel", [
      { hashtag: "#TRAVEL", found_at: "2026-03-05T00:00:00Z" },
      { hashtag: "travel", found_at: "2026-03-01T00:00:00Z" },
      { hashtag: "food", found_at: "2026-03-03T00:00:00Z" },
    ]);
    expect(out).toEqual([
      { hashtag: "TRAVEL", found_at: "2026-03-01T00:00:00Z", source: true },
      { hashtag: "food", found_at: "2026-03-03T00:00:00Z", source: false },
    ]);
  });

  it("puts the field first among hashtags found at the same time", () => {
    const at = "2026-03-01T00:00:00Z";
    const out = sourceHashtags("travel", [
      { hashtag: "food", found_at: at },
      { hashtag: "travel", found_at: at },
    ]);
    expect(out.map((t) => [t.hashtag, t.source])).toEqual([
      ["travel", true],
      ["food", false],
    ]);
  });

  it("normalises keys", () => {
    expect(hashtagKey(" ##Foo ")).toBe("foo");
  });
});
