// Splits a prompt template into highlighted pieces: `{{variables}}` and `[IF flag]` / `[ELSE]` / `[/IF]` blocks.
// Used by the editor's backdrop (a <pre> behind a transparent textarea) — pure, so it is unit-tested.

export type TokenKind = "text" | "var" | "if" | "else" | "endif";
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  /** Nesting depth of IF blocks at this token (0 outside any block). */
  depth: number;
  /** Set when the tag does not pair up (an [ELSE] or [/IF] without [IF], an [IF] never closed). */
  unbalanced?: boolean;
}

const TAG = /\{\{\s*[^{}]*?\s*\}\}|\[IF\s+[^\]\n]*\]|\[ELSE\]|\[\/IF\]/g;

export function tokenize(body: string): Token[] {
  const out: Token[] = [];
  const open: Token[] = [];
  let last = 0;
  let depth = 0;
  for (const m of body.matchAll(TAG)) {
    const start = m.index ?? 0;
    if (start > last) out.push({ kind: "text", text: body.slice(last, start), start: last, depth });
    const text = m[0];
    let tok: Token;
    if (text.startsWith("{{")) tok = { kind: "var", text, start, depth };
    else if (text.startsWith("[IF")) {
      depth++;
      tok = { kind: "if", text, start, depth };
      open.push(tok);
    } else if (text === "[ELSE]") {
      tok = { kind: "else", text, start, depth, unbalanced: depth === 0 || undefined };
    } else {
      tok = { kind: "endif", text, start, depth, unbalanced: depth === 0 || undefined };
      if (depth > 0) {
        open.pop();
        depth--;
      }
    }
    out.push(tok);
    last = start + text.length;
  }
  if (last < body.length) out.push({ kind: "text", text: body.slice(last), start: last, depth });
  for (const t of open) t.unbalanced = true;
  return out;
}

/** Offset in `body` of a 1-based line and column (columns counted in code points). */
export function offsetOf(body: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = body.indexOf("\n", off);
    if (nl < 0) return body.length;
    off = nl + 1;
  }
  const chars = Array.from(body.slice(off).split("\n")[0] ?? "");
  return off + chars.slice(0, Math.max(0, column - 1)).join("").length;
}

/** 1-based line and column of an offset. */
export function lineColumn(body: string, offset: number): { line: number; column: number } {
  const before = body.slice(0, offset);
  const line = before.split("\n").length;
  const col = Array.from(before.slice(before.lastIndexOf("\n") + 1)).length + 1;
  return { line, column: col };
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * HTML for the backdrop: every tag in a <mark> with a class per kind; tags at an error position (from the
 * server, line:column) or unbalanced ones get `tpl-error`. A trailing newline keeps heights equal.
 */
export function highlightHtml(body: string, errorOffsets: number[] = []): string {
  const errs = new Set(errorOffsets);
  let html = "";
  for (const t of tokenize(body)) {
    if (t.kind === "text") {
      html += esc(t.text);
      continue;
    }
    const bad = t.unbalanced || errs.has(t.start);
    const cls = `tpl-${t.kind === "var" ? "var" : "block"}${bad ? " tpl-error" : ""}`;
    html += `<mark class="${cls}">${esc(t.text)}</mark>`;
  }
  return html + "\n";
}
