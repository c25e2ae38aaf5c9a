// When the grid's row count was an estimate and the exact count arrives, a view that was at the end (Ctrl+End,
// or scrolled down to the last row) should stay at the end: the new last row, not the row the estimate ended at.

export interface RowCount {
  rows: number;
  /** The count is an estimate (the server is still counting). */
  estimate: boolean;
}

export interface EndMove {
  /** The row to show at the bottom of the view: the new last row. */
  row: number;
  /** The selected cell was on the old last row: move it to the new one too. */
  moveSelection: boolean;
}

/**
 * What to do when the row count changes from `prev` to `next`. `visibleEnd` is one past the last row the view
 * showed (with the old count), `selectedRow` the row of the selected cell. Null: leave the view alone (the count
 * was exact already, is still an estimate, did not change, or the view was not at the end).
 */
export function followEnd(prev: RowCount, next: RowCount, visibleEnd: number, selectedRow: number | null): EndMove | null {
  if (!prev.estimate || next.estimate || prev.rows === next.rows || prev.rows <= 0 || next.rows <= 0) return null;
  if (visibleEnd < prev.rows) return null;
  return { row: next.rows - 1, moveSelection: selectedRow === prev.rows - 1 };
}
