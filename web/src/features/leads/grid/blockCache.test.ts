import { afterEach, describe, expect, it, vi } from "vitest";
import { BlockCache } from "./blockCache";

interface Row {
  id: string;
  n: number;
}

function source(total: number) {
  const rows: Row[] = Array.from({ length: total }, (_, i) => ({ id: `r${i}`, n: i }));
  const calls: Array<[number, number]> = [];
  const fetcher = vi.fn(async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    return { items: rows.slice(offset, offset + limit), total: rows.length };
  });
  return { rows, calls, fetcher };
}

describe("BlockCache", () => {
  it("loads the blocks a range needs, once, and learns the total", async () => {
    const src = source(250);
    const c = new BlockCache<Row>(src.fetcher, 100);
    expect(c.total).toBeNull();
    expect(c.get(0)).toBeUndefined();
    await c.ensure(0, 50);
    expect(src.calls).toEqual([[0, 100]]);
    expect(c.total).toBe(250);
    expect(c.get(42)?.n).toBe(42);
    await Promise.all([c.ensure(90, 120), c.ensure(110, 130)]);
    expect(src.calls).toEqual([
      [0, 100],
      [100, 100],
    ]);
    // Past the end: clamped to the last block.
    await c.ensure(180, 10_000);
    expect(src.calls.at(-1)).toEqual([200, 100]);
    expect(src.calls).toHaveLength(3);
    expect(c.get(249)?.n).toBe(249);
    expect(c.get(250)).toBeUndefined();
  });

  it("notifies subscribers and bumps its version", async () => {
    const src = source(10);
    const c = new BlockCache<Row>(src.fetcher, 5);
    const fn = vi.fn();
    const off = c.subscribe(fn);
    const v0 = c.version;
    await c.ensure(0, 9);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(c.version).toBeGreaterThan(v0);
    off();
    c.reset();
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("ignores answers that arrive after a reset", async () => {
    let release: () => void = () => {};
    const fetcher = vi.fn(
      (offset: number) =>
        new Promise<{ items: Row[]; total: number }>((resolve) => {
          release = () => resolve({ items: [{ id: `old${offset}`, n: -1 }], total: 1 });
        }),
    );
    const c = new BlockCache<Row>(fetcher, 10);
    const p = c.ensure(0, 5);
    c.reset();
    release();
    await p;
    expect(c.get(0)).toBeUndefined();
    expect(c.total).toBeNull();
  });

  it("replaces a row in place and finds rows by id", async () => {
    const src = source(30);
    const c = new BlockCache<Row>(src.fetcher, 10);
    await c.ensure(0, 29);
    expect(c.indexOf("r17")).toBe(17);
    expect(c.replace({ id: "r17", n: 1700 })).toBe(true);
    expect(c.get(17)?.n).toBe(1700);
    expect(c.replace({ id: "zz", n: 0 })).toBe(false);
  });

  it("removing a row shifts the rest: later blocks are dropped and refetched", async () => {
    const src = source(30);
    const c = new BlockCache<Row>(src.fetcher, 10);
    await c.ensure(0, 29);
    expect(c.remove("r3")).toBe(true);
    expect(c.total).toBe(29);
    expect(c.get(3)).toBeUndefined(); // its block is short now and more rows exist: reload it
    expect(c.isLoaded(15)).toBe(false);
    src.rows.splice(3, 1);
    await c.ensure(0, 28);
    expect(c.get(3)?.id).toBe("r4");
    expect(c.get(28)?.id).toBe("r29");
  });

  it("a short block fixes an estimated total", async () => {
    const fetcher = vi.fn(async (offset: number) => ({ items: offset === 0 ? [{ id: "a", n: 0 }, { id: "b", n: 1 }] : [], total: 1000 }));
    const c = new BlockCache<Row>(fetcher, 10);
    await c.ensure(0, 9);
    expect(c.total).toBe(2);
  });

  it("keeps the error of a failed block and retries it on the next ensure", async () => {
    let fail = true;
    const fetcher = vi.fn(async () => {
      if (fail) throw new Error("boom");
      return { items: [{ id: "a", n: 0 }], total: 1 };
    });
    const c = new BlockCache<Row>(fetcher, 10);
    await c.ensure(0, 5);
    expect((c.error as Error).message).toBe("boom");
    fail = false;
    await c.ensure(0, 5);
    expect(c.error).toBeNull();
    expect(c.get(0)?.id).toBe("a");
  });

  it("refresh reloads the loaded blocks in place", async () => {
    const src = source(20);
    const c = new BlockCache<Row>(src.fetcher, 10);
    await c.ensure(0, 19);
    src.rows[5] = { id: "r5", n: 555 };
    await c.refresh();
    expect(c.get(5)?.n).toBe(555);
    expect(c.get(15)?.n).toBe(15);
  });
});

describe("BlockCache: estimated totals", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** 100,000 rows; the total is an estimate (20,001) until `exactAfter` total-only requests were answered. */
  function estimating(exactAfter: number) {
    const rows = 100_000;
    let asked = 0;
    const totalFetcher = vi.fn(async () => {
      asked++;
      return asked >= exactAfter ? { total: rows, estimate: false } : { total: 20_001, estimate: true };
    });
    const fetcher = vi.fn(async (offset: number, limit: number) => ({
      items: Array.from({ length: Math.max(0, Math.min(limit, rows - offset)) }, (_, i) => ({ id: `r${offset + i}`, n: offset + i })),
      total: asked >= exactAfter ? rows : 20_001,
      estimate: asked < exactAfter,
    }));
    return { fetcher, totalFetcher };
  }

  it("re-asks for the total while it is an estimate, backing off, and stops once it is exact", async () => {
    vi.useFakeTimers();
    const src = estimating(3);
    const c = new BlockCache<Row>(src.fetcher, 100, { totalFetcher: src.totalFetcher });
    const seen = vi.fn();
    c.subscribe(seen);
    await c.ensure(0, 99);
    expect(c.total).toBe(20_001);
    expect(c.totalIsEstimate).toBe(true);
    expect(c.isPollingTotal).toBe(true);

    await vi.advanceTimersByTimeAsync(499);
    expect(src.totalFetcher).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    expect(c.totalIsEstimate).toBe(true);
    // Backing off: the second re-ask 750 ms after the first answer.
    await vi.advanceTimersByTimeAsync(749);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(src.totalFetcher).toHaveBeenCalledTimes(2);
    const versionBefore = c.version;
    await vi.advanceTimersByTimeAsync(1125);
    expect(src.totalFetcher).toHaveBeenCalledTimes(3);
    expect(c.total).toBe(100_000);
    expect(c.totalIsEstimate).toBe(false);
    expect(c.version).toBeGreaterThan(versionBefore);
    expect(c.isPollingTotal).toBe(false);
    // Exact: nothing more is asked.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(src.totalFetcher).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("asks for the total at once when the view reaches the estimated end, once per round", async () => {
    vi.useFakeTimers();
    const src = estimating(2);
    const c = new BlockCache<Row>(src.fetcher, 100, { totalFetcher: src.totalFetcher });
    c.subscribe(() => {});
    await c.ensure(0, 99);
    expect(c.totalIsEstimate).toBe(true);
    // Not at the end: the re-ask waits for its time.
    await c.ensure(5_000, 5_099);
    expect(src.totalFetcher).not.toHaveBeenCalled();
    // Ctrl+End: asked now; asking for the end again (each frame does) asks no more.
    await c.ensure(19_950, 20_000);
    await c.ensure(19_950, 20_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    expect(c.totalIsEstimate).toBe(true);
    // Still counting: asked again after the first delay, and then the total is exact.
    await vi.advanceTimersByTimeAsync(499);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(src.totalFetcher).toHaveBeenCalledTimes(2);
    expect(c.total).toBe(100_000);
    expect(c.totalIsEstimate).toBe(false);
  });

  it("never polls when the total is exact", async () => {
    vi.useFakeTimers();
    const src = source(250);
    const totalFetcher = vi.fn(async () => ({ total: 250 }));
    const c = new BlockCache<Row>(src.fetcher, 100, { totalFetcher });
    c.subscribe(() => {});
    await c.ensure(0, 99);
    expect(c.totalIsEstimate).toBe(false);
    expect(c.isPollingTotal).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(totalFetcher).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives up after a while and only polls while someone listens", async () => {
    vi.useFakeTimers();
    const src = estimating(Infinity);
    const c = new BlockCache<Row>(src.fetcher, 100, { totalFetcher: src.totalFetcher });
    await c.ensure(0, 99);
    expect(c.totalIsEstimate).toBe(true);
    // Nobody subscribed: no re-asking.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(src.totalFetcher).not.toHaveBeenCalled();
    const off = c.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(500);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    off();
    expect(c.isPollingTotal).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(src.totalFetcher).toHaveBeenCalledTimes(1);
    c.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(40_000);
    const n = src.totalFetcher.mock.calls.length;
    // 500 ms, then backing off by 1.5 up to 4 s: about a dozen requests in 30 s, then none.
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(16);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(src.totalFetcher.mock.calls.length).toBe(n);
    expect(c.isPollingTotal).toBe(false);
    expect(c.totalIsEstimate).toBe(true);
  });

  it("uses the first row of the query by default and keeps retrying after a failed re-ask", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const fetcher = vi.fn(async (offset: number, limit: number) => {
      calls++;
      if (calls === 2) throw new Error("offline");
      return {
        items: Array.from({ length: limit }, (_, i) => ({ id: `r${offset + i}`, n: offset + i })),
        total: calls >= 3 ? 50_000 : 20_001,
        estimate: calls < 3,
      };
    });
    const c = new BlockCache<Row>(fetcher, 100);
    c.subscribe(() => {});
    await c.ensure(0, 99);
    await vi.advanceTimersByTimeAsync(500);
    expect(fetcher.mock.calls[1].slice(0, 2)).toEqual([0, 1]);
    expect(c.totalIsEstimate).toBe(true);
    await vi.advanceTimersByTimeAsync(750);
    expect(c.total).toBe(50_000);
    expect(c.totalIsEstimate).toBe(false);
  });

  it("a late estimate does not undo an exact total; after a refresh it keeps the number while counting again", async () => {
    vi.useFakeTimers();
    let answer = { total: 20_001, estimate: true };
    const pending: Array<() => void> = [];
    const fetcher = vi.fn(
      (offset: number, limit: number) =>
        new Promise<{ items: Row[]; total: number; estimate: boolean }>((resolve) => {
          const a = answer;
          pending.push(() => resolve({ items: Array.from({ length: limit }, (_, i) => ({ id: `r${offset + i}`, n: offset + i })), ...a }));
        }),
    );
    const totalFetcher = vi.fn(async () => ({ total: 100_000, estimate: false }));
    const c = new BlockCache<Row>(fetcher, 100, { totalFetcher });
    c.subscribe(() => {});
    const first = c.ensure(0, 99);
    const late = c.ensure(19_900, 19_999); // sent while the server still estimates
    pending.shift()!();
    await first;
    expect(c.totalIsEstimate).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.total).toBe(100_000);
    expect(c.totalIsEstimate).toBe(false);
    pending.shift()!();
    await late;
    expect(c.total).toBe(100_000);
    expect(c.totalIsEstimate).toBe(false);
    expect(c.isPollingTotal).toBe(false);

    // After a change the server counts again: the known number stays (no shrinking grid), marked as an estimate.
    answer = { total: 20_001, estimate: true };
    const r = c.refresh();
    while (pending.length) pending.shift()!();
    await r;
    expect(c.total).toBe(100_000);
    expect(c.totalIsEstimate).toBe(true);
    expect(c.isPollingTotal).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.totalIsEstimate).toBe(false);
  });

  it("an estimated total past the data's end is lowered by an empty block and fixed by a short one", async () => {
    const rows = 30_050;
    const fetcher = vi.fn(async (offset: number, limit: number) => ({
      items: Array.from({ length: Math.max(0, Math.min(limit, rows - offset)) }, (_, i) => ({ id: `r${offset + i}`, n: offset + i })),
      total: 1_000_000,
      estimate: true,
    }));
    const c = new BlockCache<Row>(fetcher, 100, { totalFetcher: async () => ({ total: 1_000_000, estimate: true }) });
    await c.ensure(0, 99);
    expect(c.total).toBe(1_000_000);
    await c.ensure(999_900, 999_999);
    expect(c.total).toBe(999_900);
    expect(c.totalIsEstimate).toBe(true);
    // A later answer's estimate does not go past the empty block again.
    await c.ensure(29_900, 29_999);
    expect(c.total).toBe(999_900);
    await c.ensure(30_000, 30_099);
    expect(c.total).toBe(30_050);
    expect(c.totalIsEstimate).toBe(false);
  });

  it("a reset forgets the estimate and stops re-asking", async () => {
    vi.useFakeTimers();
    const src = estimating(Infinity);
    const c = new BlockCache<Row>(src.fetcher, 100, { totalFetcher: src.totalFetcher });
    c.subscribe(() => {});
    await c.ensure(0, 99);
    expect(c.isPollingTotal).toBe(true);
    c.reset();
    expect(c.isPollingTotal).toBe(false);
    expect(c.totalIsEstimate).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(src.totalFetcher).not.toHaveBeenCalled();
  });
});
