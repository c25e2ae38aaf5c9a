// Rows loaded on demand in fixed-size blocks (offset paging). The grid asks for the rows it shows;
// missing blocks are fetched once, the total from the last answer sizes the scrollbar.

export interface BlockPage<T> {
  items: T[];
  total: number;
}
export type BlockFetcher<T> = (offset: number, limit: number, signal: AbortSignal) => Promise<BlockPage<T>>;

export class BlockCache<T extends { id: string }> {
  readonly blockSize: number;
  private fetcher: BlockFetcher<T>;
  private blocks = new Map<number, T[]>();
  private loading = new Map<number, AbortController>();
  private listeners = new Set<() => void>();
  private generation = 0;
  total: number | null = null;
  error: unknown = null;
  /** Bumped on every change so React can re-read. */
  version = 0;

  constructor(fetcher: BlockFetcher<T>, blockSize = 100) {
    this.fetcher = fetcher;
    this.blockSize = Math.max(1, Math.floor(blockSize));
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
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
      const page = await this.fetcher(block * this.blockSize, this.blockSize, ctrl.signal);
      if (gen !== this.generation) return;
      this.blocks.set(block, page.items);
      this.total = page.total;
      // A short block means the data ends there: trust it over an estimated total.
      if (page.items.length < this.blockSize) this.total = block * this.blockSize + page.items.length;
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
    if (!keepTotal) this.total = null;
    this.error = null;
    this.emit();
  }

  /** Reloads the loaded blocks in place (after undo/redo or a bulk change). */
  refresh(): Promise<void> {
    const keep = this.loadedBlocks;
    this.generation++;
    for (const c of this.loading.values()) c.abort();
    this.loading.clear();
    const gen = this.generation;
    return Promise.all(
      keep.map(async (b) => {
        const ctrl = new AbortController();
        this.loading.set(b, ctrl);
        try {
          const page = await this.fetcher(b * this.blockSize, this.blockSize, ctrl.signal);
          if (gen !== this.generation) return;
          this.blocks.set(b, page.items);
          this.total = page.total;
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
