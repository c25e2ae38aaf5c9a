import { useMemo, useRef, type Ref } from "react";
import { highlightHtml, offsetOf } from "./highlight";

export interface TemplateEditorHandle {
  insert: (text: string) => void;
  jumpTo: (line: number, column: number) => void;
}

/**
 * A textarea over a highlighted backdrop: `{{vars}}` and `[IF]`/`[ELSE]`/`[/IF]` tags are coloured, tags at
 * the server's error positions are underlined in red. The text itself stays a plain textarea (undo, IME,
 * spellcheck and screen readers work as usual).
 */
export function TemplateEditor({
  id,
  value,
  onChange,
  errors = [],
  readOnly,
  handleRef,
  describedBy,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  errors?: Array<{ line: number; column: number }>;
  readOnly?: boolean;
  handleRef?: Ref<TemplateEditorHandle>;
  describedBy?: string;
}) {
  const ta = useRef<HTMLTextAreaElement>(null);
  const back = useRef<HTMLPreElement>(null);
  const html = useMemo(() => highlightHtml(value, errors.map((e) => offsetOf(value, e.line, e.column))), [value, errors]);

  const handle: TemplateEditorHandle = {
    insert: (text) => {
      const el = ta.current;
      if (!el) return onChange(value + text);
      const s = el.selectionStart ?? value.length;
      const e = el.selectionEnd ?? value.length;
      const next = value.slice(0, s) + text + value.slice(e);
      onChange(next);
      requestAnimationFrame(() => {
        el.focus();
        el.setSelectionRange(s + text.length, s + text.length);
      });
    },
    jumpTo: (line, column) => {
      const el = ta.current;
      if (!el) return;
      const off = offsetOf(value, line, column);
      el.focus();
      el.setSelectionRange(off, off);
    },
  };
  if (typeof handleRef === "function") handleRef(handle);
  else if (handleRef && typeof handleRef === "object") (handleRef as { current: TemplateEditorHandle | null }).current = handle;

  return (
    <div className="tpl-editor">
      <pre ref={back} className="tpl-backdrop" aria-hidden dangerouslySetInnerHTML={{ __html: html }} />
      <textarea
        id={id}
        ref={ta}
        className="tpl-input"
        spellCheck={false}
        value={value}
        readOnly={readOnly}
        aria-describedby={describedBy}
        aria-invalid={errors.length ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => {
          if (back.current) {
            back.current.scrollTop = e.currentTarget.scrollTop;
            back.current.scrollLeft = e.currentTarget.scrollLeft;
          }
        }}
      />
    </div>
  );
}
