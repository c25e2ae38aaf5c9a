import { describe, expect, it } from "vitest";
import {
  EMPTY_FILTERS,
  advancedRule,
  buildFilterTree,
  chipsFor,
  filterParam,
  followersRule,
  removeChip,
  sortParam,
  toggleSort,
  type FilterState,
} from "./filterTree";

const base: FilterState = EMPTY_FILTERS;

describe("filter tree builder", () => {
  it("builds nothing for an empty bar", () => {
    expect(buildFilterTree(base)).toBeNull();
    expect(filterParam(base)).toBeUndefined();
  });

  it("maps follower presets to numeric rules", () => {
    expect(followersRule({ preset: "lt1k", min: null, max: null })).toEqual({ field: "followers", cmp: "lte", value: 999 });
    expect(followersRule({ preset: "1k-10k", min: null, max: null })).toEqual({ field: "followers", cmp: "between", value: [1000, 9999] });
    expect(followersRule({ preset: "10k-100k", min: null, max: null })).toEqual({ field: "followers", cmp: "between", value: [10000, 99999] });
    expect(followersRule({ preset: "gt100k", min: null, max: null })).toEqual({ field: "followers", cmp: "gte", value: 100000 });
    expect(followersRule({ preset: "custom", min: 5000, max: 500 })).toEqual({ field: "followers", cmp: "between", value: [500, 5000] });
    expect(followersRule({ preset: "custom", min: 10, max: null })).toEqual({ field: "followers", cmp: "gte", value: 10 });
    expect(followersRule({ preset: "custom", min: null, max: null })).toBeNull();
  });

  it("ANDs the bar's filters and nests an OR group for advanced rules", () => {
    const s: FilterState = {
      ...base,
      followers: { preset: "gt100k", min: null, max: null },
      created: "last_7_days",
      statuses: ["new", "qualified"],
      hasEmail: "yes",
      isBusiness: "no",
      advanced: {
        op: "or",
        rules: [
          { id: "a", field: "biography", cmp: "contains", value: "vegan" },
          { id: "b", field: "tags", cmp: "has_any", value: "vip, food" },
          { id: "c", field: "full_name", cmp: "contains", value: "" }, // incomplete: ignored
        ],
      },
    };
    expect(buildFilterTree(s)).toEqual({
      op: "and",
      rules: [
        { field: "followers", cmp: "gte", value: 100000 },
        { field: "created_at", cmp: "preset", value: "last_7_days" },
        { field: "status", cmp: "in", value: ["new", "qualified"] },
        { field: "has_email", cmp: "eq", value: true },
        { field: "is_business", cmp: "eq", value: false },
        {
          op: "or",
          rules: [
            { field: "biography", cmp: "contains", value: "vegan" },
            { field: "tags", cmp: "has_any", value: ["vip", "food"] },
          ],
        },
      ],
    });
    expect(JSON.parse(filterParam(s)!)).toEqual(buildFilterTree(s));
  });

  it("flattens AND advanced rules into the top group", () => {
    const s: FilterState = {
      ...base,
      advanced: {
        op: "and",
        rules: [
          { id: "a", field: "posts", cmp: "between", value: "10-20" },
          { id: "b", field: "email", cmp: "is_empty", value: "" },
        ],
      },
    };
    expect(buildFilterTree(s)).toEqual({
      op: "and",
      rules: [
        { field: "posts", cmp: "between", value: [10, 20] },
        { field: "email", cmp: "is_empty" },
      ],
    });
  });

  it("parses advanced values by field type and rejects bad ones", () => {
    expect(advancedRule({ id: "x", field: "followers", cmp: "gte", value: "abc" })).toBeNull();
    expect(advancedRule({ id: "x", field: "followers", cmp: "eq", value: "42" })).toEqual({ field: "followers", cmp: "eq", value: 42 });
    expect(advancedRule({ id: "x", field: "created_at", cmp: "between", value: "2026-01-01, 2026-02-01" })).toEqual({
      field: "created_at",
      cmp: "between",
      value: ["2026-01-01", "2026-02-01"],
    });
    expect(advancedRule({ id: "x", field: "status", cmp: "not_in", value: "bounced" })).toEqual({ field: "status", cmp: "not_in", value: ["bounced"] });
    expect(advancedRule({ id: "x", field: "nope", cmp: "weird", value: "1" })).toBeNull();
  });

  it("shows a chip per active filter, and removing a chip removes just that filter", () => {
    const s: FilterState = {
      ...base,
      followers: { preset: "1k-10k", min: null, max: null },
      statuses: ["new", "replied"],
      hasEmail: "no",
      advanced: { op: "and", rules: [{ id: "r1", field: "username", cmp: "starts_with", value: "shop" }] },
    };
    const chips = chipsFor(s, { username: "Username" });
    expect(chips.map((c) => c.label)).toEqual([
      "Followers: 1k – 10k",
      "Status: new",
      "Status: replied",
      "No email",
      "Username starts with shop",
    ]);
    const without = removeChip(s, "status:new");
    expect(without.statuses).toEqual(["replied"]);
    expect(removeChip(s, "followers").followers.preset).toBe("");
    expect(removeChip(s, "adv:r1").advanced.rules).toEqual([]);
    expect(removeChip(s, "hasEmail").hasEmail).toBe("");
  });
});

describe("sort toggling", () => {
  it("click cycles one column; shift-click builds a multi-sort", () => {
    let s = toggleSort([], "followers", false);
    expect(s).toEqual([{ col: "followers", dir: "desc" }]);
    s = toggleSort(s, "followers", false);
    expect(s).toEqual([{ col: "followers", dir: "asc" }]);
    expect(toggleSort(s, "followers", false)).toEqual([]);
    s = toggleSort([{ col: "followers", dir: "desc" }], "username", true);
    expect(s).toEqual([
      { col: "followers", dir: "desc" },
      { col: "username", dir: "asc" },
    ]);
    expect(sortParam(s)).toBe("followers:desc,username:asc");
    s = toggleSort(s, "username", true);
    expect(s[1]).toEqual({ col: "username", dir: "desc" });
    expect(toggleSort(s, "username", true)).toEqual([{ col: "followers", dir: "desc" }]);
    expect(toggleSort(s, "tags", false)).toBe(s); // not sortable
    expect(sortParam([])).toBeUndefined();
  });

  it("caps multi-sort at four columns", () => {
    const four = ["username", "followers", "posts", "status"].map((col) => ({ col, dir: "asc" as const }));
    expect(toggleSort(four, "email", true)).toBe(four);
  });
});
