import { describe, expect, it } from "vitest";
import { addedMessage, displayValue, normaliseDncValue, validateDnc, splitList, bulkMessage } from "./dnc";

describe("do-not-contact input", () => {
  it("normalises like the API: usernames lose their @, both are lowercased", () => {
    expect(normaliseDncValue("username", "  @Jane.Doe ")).toBe("jane.doe");
    expect(normaliseDncValue("email", " Jane@Example.COM ")).toBe("jane@example.com");
  });

  it("accepts what the API accepts", () => {
    expect(validateDnc("username", "@jane_doe.1")).toEqual({});
    expect(validateDnc("email", "jane@example.com")).toEqual({});
  });

  it("names the value field for what the API would refuse", () => {
    expect(validateDnc("username", "").value).toEqual(["Enter a username."]);
    expect(validateDnc("email", "  ").value).toEqual(["Enter an e-mail address."]);
    expect(validateDnc("username", "jane doe").value?.[0]).toMatch(/letters, digits/);
    expect(validateDnc("username", "a".repeat(31)).value).toBeDefined();
    expect(validateDnc("email", "jane@example").value).toEqual(["Not a valid email address"]);
    expect(validateDnc("email", "@example.com").value).toBeDefined();
    expect(validateDnc("email", "jane@.example.com").value).toBeDefined();
    expect(validateDnc("email", "ja ne@example.com").value).toBeDefined();
  });

  it("limits the reason to 500 characters", () => {
    expect(validateDnc("username", "jane", "x".repeat(500))).toEqual({});
    expect(validateDnc("username", "jane", "x".repeat(501)).reason).toBeDefined();
  });

  it("says how many leads were marked", () => {
    expect(addedMessage(0)).toBe("Added; 0 leads marked do not contact");
    expect(addedMessage(1)).toBe("Added; 1 lead marked do not contact");
    expect(addedMessage(3)).toBe("Added; 3 leads marked do not contact");
  });

  it("shows usernames with their @", () => {
    expect(displayValue("username", "jane")).toBe("@jane");
    expect(displayValue("email", "jane@example.com")).toBe("jane@example.com");
  });
});

describe("pasted and imported lists", () => {
  it("splits lines, commas and semicolons and drops blanks and quotes", () => {
    expect(splitList('@anna\n"ben@example.de", carla ;dora\n\n')).toEqual(["@anna", "ben@example.de", "carla", "dora"]);
  });
  it("takes the value column of an exported list", () => {
    const csv = "\uFEFFkind,value,reason,created_at\nusername,anna,Pasted,2026-12-06\nemail,b@x.de,,2026-12-06\n";
    expect(splitList(csv)).toEqual(["anna", "b@x.de"]);
  });
  it("says what a bulk add did", () => {
    expect(bulkMessage({ added: 3, already_listed: 1, leads_marked: 1, invalid: [{}] })).toBe(
      "Added 3; 1 already on the list; 1 not valid; 1 lead marked do not contact.",
    );
  });
});
