import { describe, expect, it } from "vitest";
import { EMPTY_FILTERS, type FilterState, type SortKey } from "./filterTree";
import { fromParams, parseSort, toParams } from "./urlState";

const DEF: SortKey[] = [{ col: "created_at", dir: "desc" }];

describe("view state in the URL", () => {
  it("says nothing for the default view", () => {
    expect(toParams({ search: "", filters: EMPTY_FILTERS, sort: DEF }, DEF)).toEqual({ q: "", sort: "", f: "" });
    expect(fromParams(new URLSearchParams(""), DEF)).toBeNull();
  });

  it("round-trips search, filters and sort", () => {
    const filters: FilterState = { ...EMPTY_FILTERS, statuses: ["new", "qualified"], hasEmail: "yes", followers: { preset: "1k-10k", min: null, max: null } };
    const sort: SortKey[] = [{ col: "followers", dir: "desc" }, { col: "full_name", dir: "asc" }];
    const p = new URLSearchParams(toParams({ search: "bäcker", filters, sort }, DEF));
    expect(p.get("sort")).toBe("followers:desc,full_name:asc");
    expect(fromParams(new URLSearchParams(p.toString()), DEF)).toEqual({ search: "bäcker", filters, sort });
  });

  it("keeps an explicitly empty sort apart from the default", () => {
    const p = new URLSearchParams(toParams({ search: "x", filters: EMPTY_FILTERS, sort: [] }, DEF));
    expect(fromParams(p, DEF)?.sort).toEqual([]);
  });

  it("ignores what it cannot read", () => {
    expect(parseSort("followers:up,nope:asc,posts:asc,posts:desc")).toEqual([{ col: "posts", dir: "asc" }]);
    expect(fromParams(new URLSearchParams("f=%7Bbroken&q=a"), DEF)).toEqual({ search: "a", filters: EMPTY_FILTERS, sort: DEF });
  });
});
