import { describe, expect, it, vi } from "vitest";
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
