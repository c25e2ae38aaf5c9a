// Rows loaded on demand in fixed-size blocks (offset paging). The grid asks for the rows it shows;
// missing blocks are fetched once, the total from the last answer sizes the scrollbar.
//
// Estimated totals: on a large result the server first answers an estimate (`estimate: true`) and counts exactly
// in the background. While the total is an estimate and someone is subscribed, the cache asks again (a one-row
// request, `totalFetcher`) after `firstMs`, backing off by `factor` up to `maxMs`, and gives up after `giveUpMs`;
// a view that reaches the estimated end asks at once (once per round).
// No timer runs while the total is exact.

export interface BlockPage<T> {
  items: T[];
  total: number;
  /** The total is an estimate; the server is counting exactly (asking again answers the exact total). */
  estimate?: boolean;
}
export type BlockFetcher<T> = (offset: number, limit: number, signal: AbortSignal) => Promise<BlockPage<T>>;
/** Asks for the total only (e.g. a one-row page of the same query). */
export type TotalFetcher = (signal: AbortSignal) => Promise<{ total: number; estimate?: boolean }>;

export interface TotalPolling {
  firstMs: number;
  factor: number;
  maxMs: number;
  giveUpMs: number;
}
export const TOTAL_POLLING: TotalPolling = { firstMs: 500, factor: 1.5, maxMs: 4000, giveUpMs: 30_000 };

export interface BlockCacheOptions {
  /** How to re-ask for the total while it is an estimate; default: the first row of the query. */
  totalFetcher?: TotalFetcher;
  polling?: Partial<TotalPolling>;
}

export class BlockCache<T extends { id: string }> {
  readonly blockSize: number;
  private fetcher: BlockFetcher<T>;
  private blocks = new Map<number, T[]>();
  private loading = new Map<number, AbortController>();
  private listeners = new Set<() => void>();
  private generation = 0;
  total: number | null = null;
  /** `total` is an estimate (the server is still counting); re-asked while someone is subscribed. */
  totalIsEstimate = false;
  error: unknown = null;
  /** Bumped on every change so React can re-read. */
  version = 0;
  private totalFetcher: TotalFetcher;
  private polling: TotalPolling;
  /** The generation in which `total` was last answered exactly (a late estimate from it must not undo that). */
  private exactGeneration = -1;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private pollCtrl: AbortController | null = null;
  /** When the current round of re-asking started (null: none), and the next delay. */
  private pollSince: number | null = null;
  private pollDelay = 0;
  /** This round of re-asking was brought forward once already (the end of the estimate was wanted). */
  private hurried = false;
  /** A total was counted exactly for this query (kept while the server counts again after a change). */
  private hadExact = false;
  /** The offset of the first empty block seen in this generation: the data ends by there. */
  private dataEndsBy: number | null = null;

  constructor(fetcher: BlockFetcher<T>, blockSize = 100, options: BlockCacheOptions = {}) {
    this.fetcher = fetcher;
    this.blockSize = Math.max(1, Math.floor(blockSize));
    this.totalFetcher = options.totalFetcher ?? ((signal) => this.fetcher(0, 1, signal));
    this.polling = { ...TOTAL_POLLING, ...options.polling };
  }

  /** Listening also keeps an estimated total being re-asked; with no listener left, that stops. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    this.schedulePoll();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stopPoll();
    };
  }

  /** True while a re-ask for the exact total is scheduled or under way. */
  get isPollingTotal(): boolean {
    return this.pollTimer !== null || this.pollCtrl !== null;
  }

  /**
   * Takes a total from an answer made in generation `gen`. An exact total always wins. An estimate never undoes
   * an exact total: from the same generation it is a late answer to a request sent before the count (ignored);
   * after a refresh (the data changed, the server counts again) the number counted before is kept as the best
   * guess, marked as an estimate. An estimate never goes past an empty block (the data ends before it).
   */
  private applyTotal(total: number, estimate: boolean, gen: number): void {
    if (!estimate) {
      this.total = total;
      this.totalIsEstimate = false;
      this.exactGeneration = gen;
      this.hadExact = true;
      this.stopPoll(true);
      return;
    }
    if (this.exactGeneration === gen) return;
    let t = this.hadExact && this.total !== null ? this.total : total;
    if (this.dataEndsBy !== null) t = Math.min(t, this.dataEndsBy);
    this.total = t;
    this.totalIsEstimate = true;
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (!this.totalIsEstimate || this.listeners.size === 0 || this.isPollingTotal) return;
    const now = Date.now();
    if (this.pollSince === null) {
      this.pollSince = now;
      this.pollDelay = this.polling.firstMs;
    }
    if (now - this.pollSince >= this.polling.giveUpMs) return;
    const delay = this.pollDelay;
    this.pollDelay = Math.min(this.polling.maxMs, this.pollDelay * this.polling.factor);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.pollOnce();
    }, delay);
  }

  private async pollOnce(): Promise<void> {
    const gen = this.generation;
    const ctrl = new AbortController();
    this.pollCtrl = ctrl;
    let answer: { total: number; estimate?: boolean } | null = null;
    try {
      answer = await this.totalFetcher(ctrl.signal);
    } catch {
      // A failed re-ask is retried on the next round (until giving up); the grid keeps the estimate.
    }
    if (this.pollCtrl !== ctrl) return; // stopped (reset, unsubscribed) meanwhile
    this.pollCtrl = null;
    if (gen !== this.generation) return;
    if (answer) {
      const before = [this.total, this.totalIsEstimate];
      this.applyTotal(answer.total, !!answer.estimate, gen);
      if (before[0] !== this.total || before[1] !== this.totalIsEstimate) this.emit();
    }
    this.schedulePoll();
  }

  /** Stops re-asking; `done`: the total is settled (the next estimate starts a new round of re-asking). */
  private stopPoll(done = false): void {
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.pollCtrl?.abort();
    this.pollCtrl = null;
    if (done) {
      this.pollSince = null;
      this.hurried = false;
    }
  }

  private emit(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /** The row at an index, or undefined while its block is not loaded. */
  get(index: number): T | undefined {
    const b = this.blocks.get(Math.floor(index / this.blockSize));
    return b?.[index % this.blockSize];
  }

  isLoaded(index: number): boolean {
    return this.blocks.has(Math.floor(index / this.blockSize));
  }

  get isLoading(): boolean {
    return this.loading.size > 0;
  }

  get loadedBlocks(): number[] {
    return [...this.blocks.keys()].sort((a, b) => a - b);
  }

  /** Fetches every block overlapping rows [from, to] (inclusive) that is neither loaded nor loading. */
  ensure(from: number, to: number): Promise<void> {
    // The end of an estimated total is wanted (Ctrl+End, the scrollbar at the bottom): re-ask for the total now
    // instead of at the next scheduled time, so the view follows to the real end sooner. Once per round.
    if (this.totalIsEstimate && this.total !== null && to >= this.total - 1 && this.pollTimer !== null && !this.hurried) {
      this.hurried = true;
      clearTimeout(this.pollTimer);
      this.pollTimer = null;
      this.pollDelay = this.polling.firstMs;
      void this.pollOnce();
    }
    const lo = Math.max(0, Math.floor(Math.max(0, from) / this.blockSize));
    let hi = Math.floor(Math.max(0, to) / this.blockSize);
    if (this.total !== null) hi = Math.min(hi, Math.max(0, Math.ceil(this.total / this.blockSize) - 1));
    const waits: Promise<void>[] = [];
    for (let b = lo; b <= hi; b++) {
      if (this.blocks.has(b) || this.loading.has(b)) continue;
      waits.push(this.load(b));
    }
    return Promise.all(waits).then(() => undefined);
  }

  private async load(block: number): Promise<void> {
    const gen = this.generation;
    const ctrl = new AbortController();
    this.loading.set(block, ctrl);
    try {
      const offset = block * this.blockSize;
      const page = await this.fetcher(offset, this.blockSize, ctrl.signal);
      if (gen !== this.generation) return;
      this.blocks.set(block, page.items);
      let total = page.total;
      let estimate = !!page.estimate;
      if (page.items.length < this.blockSize) {
        // A short block means the data ends there: trust it over an estimated total. An empty block past the
        // first only says the data ends before it.
        const end = offset + page.items.length;
        if (page.items.length > 0 || block === 0) {
          total = end;
          estimate = false;
        } else {
          this.dataEndsBy = Math.min(this.dataEndsBy ?? end, end);
          total = Math.min(total, end);
        }
      }
      this.applyTotal(total, estimate, gen);
      this.error = null;
    } catch (e) {
      if (gen !== this.generation || (e as Error)?.name === "AbortError") return;
      this.error = e;
    } finally {
      if (this.loading.get(block) === ctrl) this.loading.delete(block);
      if (gen === this.generation) this.emit();
    }
  }

  /** Forgets every row (new filter/sort); `keepTotal` keeps the scrollbar size until the first answer. */
  reset(keepTotal = false): void {
    this.generation++;
    for (const c of this.loading.values()) c.abort();
    this.loading.clear();
    this.blocks.clear();
    this.stopPoll(true);
    this.dataEndsBy = null;
    if (!keepTotal) {
      this.total = null;
      this.totalIsEstimate = false;
      this.hadExact = false;
    }
    this.error = null;
    this.emit();
  }

  /** Reloads the loaded blocks in place (after undo/redo or a bulk change). */
  refresh(): Promise<void> {
    const keep = this.loadedBlocks;
    this.generation++;
    for (const c of this.loading.values()) c.abort();
    this.loading.clear();
    this.stopPoll(true);
    this.dataEndsBy = null;
    const gen = this.generation;
    return Promise.all(
      keep.map(async (b) => {
        const ctrl = new AbortController();
        this.loading.set(b, ctrl);
        try {
          const page = await this.fetcher(b * this.blockSize, this.blockSize, ctrl.signal);
          if (gen !== this.generation) return;
          this.blocks.set(b, page.items);
          this.applyTotal(page.total, !!page.estimate, gen);
        } catch (e) {
          if (gen === this.generation) this.error = e;
        } finally {
          if (this.loading.get(b) === ctrl) this.loading.delete(b);
        }
      }),
    ).then(() => {
      if (gen === this.generation) this.emit();
    });
  }

  /** Index of a loaded row by id, or -1. */
  indexOf(id: string): number {
    for (const [b, rows] of this.blocks) {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) return b * this.blockSize + i;
    }
    return -1;
  }

  /** Replaces a loaded row (matched by id) with a newer copy; returns whether it was found. */
  replace(row: T): boolean {
    let found = false;
    for (const rows of this.blocks.values()) {
      const i = rows.findIndex((r) => r.id === row.id);
      if (i >= 0) {
        rows[i] = row;
        found = true;
      }
    }
    if (found) this.emit();
    return found;
  }

  /** Removes a loaded row (deleted); the rows after it shift up, later blocks are refetched. */
  remove(id: string): boolean {
    const idx = this.indexOf(id);
    if (idx < 0) return false;
    const b = Math.floor(idx / this.blockSize);
    const rows = this.blocks.get(b)!;
    rows.splice(idx % this.blockSize, 1);
    // Blocks after this one are now off by one: drop them so they reload.
    for (const k of [...this.blocks.keys()]) if (k > b) this.blocks.delete(k);
    if (this.total !== null) this.total = Math.max(0, this.total - 1);
    // Refill the hole at the end of this block lazily: drop it if it is now short but more rows exist.
    if (this.total !== null && rows.length < this.blockSize && (b + 1) * this.blockSize <= this.total) this.blocks.delete(b);
    this.emit();
    return true;
  }

  /** All loaded rows in order (for copy, export of a selection, the phone card list). */
  rows(from: number, to: number): Array<T | undefined> {
    const out: Array<T | undefined> = [];
    for (let i = from; i <= to; i++) out.push(this.get(i));
    return out;
  }
}
