import { describe, expect, it } from "vitest";
import { guessMapping } from "./importGuess";

describe("CSV column guessing", () => {
  it("maps common headers to lead fields and skips the rest", () => {
    expect(guessMapping(["Instagram Username", "Name", "E-Mail", "Follower Count", "Bio", "Random"])).toEqual({
      "Instagram Username": "username",
      Name: "full_name",
      "E-Mail": "email",
      "Follower Count": "followers",
      Bio: "biography",
      Random: null,
    });
  });
  it("uses each field once", () => {
    expect(guessMapping(["email", "mail"])).toEqual({ email: "email", mail: null });
  });
  it("knows the common German headers", () => {
    expect(guessMapping(["Benutzername", "Vollständiger Name", "Abonnenten", "Beiträge", "E-Mail-Adresse", "Telefonnummer", "Webseite"])).toEqual({
      Benutzername: "username",
      "Vollständiger Name": "full_name",
      Abonnenten: "followers",
      Beiträge: "posts",
      "E-Mail-Adresse": "email",
      Telefonnummer: "phone",
      Webseite: "website",
    });
  });
});
