import { describe, expect, it } from "vitest";
import { deleteLabel, editLabel } from "./useLeadEditing";

describe("what an undo step says it undid", () => {
  it("names the field and the lead of a one-cell edit", () => {
    expect(editLabel([{ username: "anna", fields: ["followers"] }])).toBe("Followers of anna");
  });
  it("counts leads for a paste or fill of one column", () => {
    expect(editLabel([{ username: "a", fields: ["status"] }, { username: "b", fields: ["status"] }])).toBe("Status of 2 leads");
  });
  it("says changes for several fields", () => {
    expect(editLabel([{ username: "anna", fields: ["full_name", "email"] }])).toBe("changes to anna");
  });
  it("names deletes", () => {
    expect(deleteLabel(["anna"])).toBe("the delete of anna");
    expect(deleteLabel(["a", "b", "c"])).toBe("the delete of 3 leads");
  });
});
