import { describe, expect, it } from "vitest";
import { rowsToImport, runLabel } from "./importCheck";

const check = { bad_rows: 2, duplicates_in_file: 1, existing: 3, new_rows: 10 };

describe("rows the import will take", () => {
  it("counts only new rows when existing leads are skipped", () => {
    expect(rowsToImport(check, "skip", 16)).toBe(10);
  });
  it("counts rows that fill a lead when updating", () => {
    expect(rowsToImport(check, "update", 16)).toBe(14);
  });
  it("adds rows beside their match with keep both", () => {
    expect(rowsToImport(check, "keep_both", 16)).toBe(13);
  });
  it("is every row before a username column is chosen", () => {
    expect(rowsToImport(null, "skip", 16)).toBe(16);
  });
  it("labels the button with the count", () => {
    expect(runLabel(1234)).toBe(`Import ${(1234).toLocaleString()} rows`);
    expect(runLabel(1)).toBe("Import 1 row");
    expect(runLabel(0)).toBe("Nothing to import");
  });
});
