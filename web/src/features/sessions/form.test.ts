import { describe, expect, it } from "vitest";
import {
  buildSessionInput,
  canonicalErrors,
  canonicalField,
  chipsFrom,
  DEFAULT_FORM,
  formFromParams,
  hashtagErrorLines,
  hashtagProblem,
  normaliseHashtag,
  otherFieldErrors,
  type SessionForm,
} from "./form";

const valid: SessionForm = { ...DEFAULT_FORM, hashtags: ["fitness", "yoga"], product_id: "p1" };

describe("hashtag chips", () => {
  it("strip # and spaces and lowercase, as the API does", () => {
    expect(normaliseHashtag("#Fitness")).toBe("fitness");
    expect(normaliseHashtag("  yoga  ")).toBe("yoga");
    expect(normaliseHashtag("##Personal Trainer")).toBe("personaltrainer");
    expect(normaliseHashtag("#Müsli")).toBe("müsli");
  });

  it("split typed or pasted text into new chips, leaving out empties and ones already there", () => {
    expect(chipsFrom("fitness, #Yoga,,  ")).toEqual(["fitness", "yoga"]);
    expect(chipsFrom("#yoga #pilates\n#Fitness", ["fitness"])).toEqual(["yoga", "pilates"]);
    expect(chipsFrom("a;b;A")).toEqual(["a", "b"]);
    expect(chipsFrom(" , # ,")).toEqual([]);
  });

  it("name what is wrong with a hashtag", () => {
    expect(hashtagProblem("fit_ness2")).toBeNull();
    expect(hashtagProblem("straße")).toBeNull();
    expect(hashtagProblem("fit-ness")).toMatch(/letters, digits and _/);
    expect(hashtagProblem("x".repeat(101))).toMatch(/100/);
    expect(hashtagProblem("")).not.toBeNull();
  });
});

describe("buildSessionInput", () => {
  it("builds the spec's body from a valid form", () => {
    const r = buildSessionInput({ ...valid, hashtags: ["#Fitness", "yoga"], min_followers: "1.000", name: "  Spring  ", bio_language: "de" });
    expect(r).toEqual({
      body: {
        name: "Spring",
        hashtags: ["fitness", "yoga"],
        discover_related: false,
        posts_per_hashtag: 50,
        max_new_leads: 200,
        filters: { min_followers: 1000, max_followers: null, business_only: false, require_contact: false, skip_private: true, bio_language: "de" },
        product_id: "p1",
        stages: ["crawl", "enrich", "contacts", "dedupe", "drafts"],
        pacing: { batch_size: 25, pause_min_seconds: 20, pause_max_seconds: 60 },
        lead_ids: null,
      },
    });
  });

  it("names every bad field with the API's field names", () => {
    const r = buildSessionInput({
      ...valid,
      hashtags: ["ok", "bad-tag", "x".repeat(101)],
      posts_per_hashtag: "-5",
      max_new_leads: "",
      min_followers: "500",
      max_followers: "100",
      batch_size: "0",
      pause_min_seconds: "60",
      pause_max_seconds: "20",
      product_id: "",
    });
    expect("errors" in r && Object.keys(r.errors).sort()).toEqual(
      [
        "filters.max_followers",
        "hashtags[1]",
        "hashtags[2]",
        "max_new_leads",
        "pacing.batch_size",
        "pacing.pause_max_seconds",
        "posts_per_hashtag",
        "product_id",
      ].sort(),
    );
    if ("errors" in r) {
      expect(r.errors.posts_per_hashtag).toEqual(["At least 1."]);
      expect(r.errors["filters.max_followers"]).toEqual(["Must not be below the minimum."]);
    }
  });

  it("asks for at least one and at most 50 hashtags", () => {
    const none = buildSessionInput({ ...valid, hashtags: [] });
    expect("errors" in none && none.errors.hashtags).toEqual(["Add at least one hashtag."]);
    const many = buildSessionInput({ ...valid, hashtags: Array.from({ length: 51 }, (_, i) => `tag${i}`) });
    expect("errors" in many && many.errors.hashtags?.[0]).toMatch(/At most 50 hashtags \(51 now\)/);
  });

  it("rejects negative numbers and words, and needs a stage", () => {
    const r = buildSessionInput({ ...valid, min_followers: "-1", max_new_leads: "lots", stages: [] });
    expect("errors" in r && r.errors).toMatchObject({
      "filters.min_followers": ["Can't be negative."],
      max_new_leads: ["Enter a whole number."],
      stages: ["Pick at least one stage."],
    });
  });

  it("needs a product only when the e-mail stage runs; keeps the stages in pipeline order", () => {
    const r = buildSessionInput({ ...valid, product_id: "", stages: ["enrich", "crawl"] });
    expect("body" in r && r.body.stages).toEqual(["crawl", "enrich"]);
    expect("body" in r && r.body.product_id).toBeNull();
  });

  it("makes a drafts-only run for a grid selection", () => {
    const r = buildSessionInput({ ...DEFAULT_FORM, product_id: "p1", hashtags: ["ignored"] }, ["l1", "l2"]);
    expect("body" in r && r.body).toMatchObject({ name: "Drafts for 2 leads", hashtags: [], stages: ["drafts"], lead_ids: ["l1", "l2"], product_id: "p1" });
    const none = buildSessionInput({ ...DEFAULT_FORM }, []);
    expect("errors" in none && Object.keys(none.errors).sort()).toEqual(["lead_ids", "product_id"]);
  });
});

describe("server field errors", () => {
  it("are keyed like the form's own", () => {
    expect(canonicalField("hashtags.2")).toBe("hashtags[2]");
    expect(canonicalField("hashtags[2]")).toBe("hashtags[2]");
    expect(canonicalField("filters[min_followers]")).toBe("filters.min_followers");
    expect(canonicalField("min_followers")).toBe("filters.min_followers");
    expect(canonicalField("batch_size")).toBe("pacing.batch_size");
    expect(canonicalField("options.posts_per_hashtag")).toBe("posts_per_hashtag");
    expect(canonicalErrors({ "hashtags.0": ["bad"], pause_max_seconds: ["too short"] })).toEqual({
      "hashtags[0]": ["bad"],
      "pacing.pause_max_seconds": ["too short"],
    });
  });

  it("about fields the form does not show are listed on their own", () => {
    expect(otherFieldErrors({ "hashtags[0]": ["x"], "filters.min_followers": ["y"], lead_ids: ["Too many."], "pacing.batch_size": ["z"] })).toEqual(["lead_ids: Too many."]);
  });

  it("show under the chips with the hashtag they are about", () => {
    expect(hashtagErrorLines({ hashtags: ["Too many."], "hashtags[1]": ["Only letters."] }, ["a", "b-c"])).toEqual(["Too many.", "#b-c: Only letters."]);
  });

  it("a finished session's related hashtags prefill a new form", () => {
    expect(formFromParams(new URLSearchParams("hashtags=yogalife,%23Pilates")).hashtags).toEqual(["yogalife", "pilates"]);
  });
});
