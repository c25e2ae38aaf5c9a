import { describe, expect, it } from "vitest";
import { followEnd } from "./followEnd";

const est = (rows: number) => ({ rows, estimate: true });
const exact = (rows: number) => ({ rows, estimate: false });

describe("followEnd", () => {
  it("moves a view at the end (Ctrl+End) to the new last row when the exact count arrives", () => {
    expect(followEnd(est(20_001), exact(1_000_000), 20_001, 20_000)).toEqual({ row: 999_999, moveSelection: true });
    // Scrolled down with the mouse (the selection elsewhere); Glide's visible range may reach past the end.
    expect(followEnd(est(20_001), exact(1_000_000), 20_003, 5)).toEqual({ row: 999_999, moveSelection: false });
    expect(followEnd(est(20_001), exact(1_000_000), 20_001, null)).toEqual({ row: 999_999, moveSelection: false });
    // An upper bound that was too high: the exact count is smaller.
    expect(followEnd(est(1_000_000), exact(30_000), 1_000_000, 999_999)).toEqual({ row: 29_999, moveSelection: true });
  });

  it("leaves the view alone otherwise", () => {
    // Not at the end (scrolled away after Ctrl+End: the selection stays on the last row, the view does not).
    expect(followEnd(est(20_001), exact(1_000_000), 500, 20_000)).toBeNull();
    // The count was exact already (rows added or removed by an edit).
    expect(followEnd(exact(20_001), exact(20_500), 20_001, 20_000)).toBeNull();
    // Still an estimate.
    expect(followEnd(est(20_001), est(25_000), 20_001, 20_000)).toBeNull();
    // Same count, or an empty grid.
    expect(followEnd(est(20_001), exact(20_001), 20_001, 20_000)).toBeNull();
    expect(followEnd(est(0), exact(5), 0, null)).toBeNull();
    expect(followEnd(est(20_001), exact(0), 20_001, 20_000)).toBeNull();
  });
});
