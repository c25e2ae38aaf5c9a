import { describe, expect, it } from "vitest";
import { highlightHtml, lineColumn, offsetOf, tokenize } from "./highlight";

describe("template highlighter", () => {
  it("finds variables and IF/ELSE blocks with their depth", () => {
    const t = tokenize("Hi {{full_name}}![IF price_enabled]Only {{price}}[ELSE]Ask us[/IF]");
    expect(t.map((x) => [x.kind, x.text])).toEqual([
      ["text", "Hi "],
      ["var", "{{full_name}}"],
      ["text", "!"],
      ["if", "[IF price_enabled]"],
      ["text", "Only "],
      ["var", "{{price}}"],
      ["else", "[ELSE]"],
      ["text", "Ask us"],
      ["endif", "[/IF]"],
    ]);
    expect(t[3].depth).toBe(1);
    expect(t.some((x) => x.unbalanced)).toBe(false);
  });

  it("flags unbalanced tags", () => {
    const t = tokenize("[/IF] a [IF x] b");
    expect(t.find((x) => x.kind === "endif")?.unbalanced).toBe(true);
    expect(t.find((x) => x.kind === "if")?.unbalanced).toBe(true);
    expect(tokenize("[ELSE]")[0].unbalanced).toBe(true);
  });

  it("handles nesting", () => {
    const t = tokenize("[IF a][IF b]x[/IF][/IF]");
    expect(t.filter((x) => x.kind === "if").map((x) => x.depth)).toEqual([1, 2]);
    expect(t.some((x) => x.unbalanced)).toBe(false);
  });

  it("escapes HTML and marks tags, errors at server positions", () => {
    const body = "<b>{{name}}</b>\n{{oops}}";
    const errAt = offsetOf(body, 2, 1);
    const html = highlightHtml(body, [errAt]);
    expect(html).toContain("&lt;b&gt;");
    expect(html).toContain('<mark class="tpl-var">{{name}}</mark>');
    expect(html).toContain('<mark class="tpl-var tpl-error">{{oops}}</mark>');
    expect(html.endsWith("\n")).toBe(true);
  });

  it("converts between offsets and line:column (code points)", () => {
    const body = "ab\nüé {{x}}";
    const off = offsetOf(body, 2, 4);
    expect(body.slice(off, off + 5)).toBe("{{x}}");
    expect(lineColumn(body, off)).toEqual({ line: 2, column: 4 });
    expect(offsetOf(body, 9, 1)).toBe(body.length);
  });
});
