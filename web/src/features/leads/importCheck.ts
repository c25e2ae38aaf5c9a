// What the import preview's check means for the run button and the summary above it.

export interface ImportCheckCounts {
  bad_rows: number;
  duplicates_in_file: number;
  existing: number;
  new_rows: number;
}

export type DedupeChoice = "skip" | "update" | "keep_both";

/**
 * Rows the run will import (add or update) with this choice: new rows always; with "update" also the rows that
 * match a lead or repeat an earlier row (they fill it); with "keep both" the rows that match a lead (added beside
 * it). Without a check (no username column yet), every row.
 */
export function rowsToImport(check: ImportCheckCounts | null | undefined, dedupe: DedupeChoice, total: number): number {
  if (!check) return total;
  if (dedupe === "update") return check.new_rows + check.existing + check.duplicates_in_file;
  if (dedupe === "keep_both") return check.new_rows + check.existing;
  return check.new_rows;
}

/** "Import 1,234 rows", "Import 1 row", "Nothing to import". */
export function runLabel(n: number): string {
  if (n === 0) return "Nothing to import";
  return `Import ${n.toLocaleString()} row${n === 1 ? "" : "s"}`;
}
