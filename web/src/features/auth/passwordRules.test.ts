import { describe, expect, it } from "vitest";
import { checkPassword, passwordOk, serverOnlyRules, utf8Length } from "./passwordRules";

const byCode = (pw: string, repeat: string, user = "alice") =>
  Object.fromEntries(checkPassword(pw, repeat, user).map((r) => [r.code, r.ok]));

describe("password rules", () => {
  it("accepts a long, matching password that is not the username", () => {
    const r = checkPassword("correct horse battery", "correct horse battery", "alice");
    expect(passwordOk(r)).toBe(true);
  });
  it("requires at least 12 characters", () => {
    expect(byCode("short", "short").too_short).toBe(false);
    expect(byCode("twelve chars", "twelve chars").too_short).toBe(true);
  });
  it("limits the length to 72 bytes, counting UTF-8 bytes", () => {
    const ascii72 = "a".repeat(72);
    expect(byCode(ascii72, ascii72).too_long).toBe(true);
    expect(byCode(ascii72 + "b", ascii72 + "b").too_long).toBe(false);
    const umlauts = "ä".repeat(37); // 74 bytes, 37 characters
    expect(utf8Length(umlauts)).toBe(74);
    expect(byCode(umlauts, umlauts).too_long).toBe(false);
  });
  it("rejects the username (case-insensitive)", () => {
    expect(byCode("AdministratorX", "AdministratorX", "administratorx").same_as_username).toBe(false);
  });
  it("requires the repeat to match", () => {
    expect(byCode("correct horse battery", "correct horse batterY").mismatch).toBe(false);
    expect(passwordOk(checkPassword("", "", "x"))).toBe(false);
  });
  it("lists server-only rules such as the common-password check", () => {
    expect(
      serverOnlyRules({
        min_length: 12,
        max_bytes: 72,
        rules: [
          { code: "too_short", message: "At least 12 characters" },
          { code: "common_password", message: "Not a common password" },
        ],
      }),
    ).toEqual(["Not a common password"]);
  });
});
