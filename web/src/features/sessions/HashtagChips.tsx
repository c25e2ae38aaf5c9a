import { useId, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import { X } from "lucide-react";
import { FieldErrors } from "../../ui/Field";
import { chipErrors, chipsFrom, hashtagErrorLines, MAX_HASHTAGS, type FieldErrorMap } from "./form";

/**
 * Seed hashtags as chips: Enter or a comma adds what is typed (pasted lists are split), `#` and spaces are
 * stripped, Backspace in the empty box takes the last chip back. Errors of `hashtags` and `hashtags[i]` show under
 * the field, the chips they are about marked.
 */
export function HashtagChips({
  tags,
  onChange,
  errors,
  label = "Seed hashtags",
}: {
  tags: string[];
  onChange: (tags: string[]) => void;
  errors: FieldErrorMap;
  label?: string;
}) {
  const id = useId();
  const [text, setText] = useState("");
  const lines = hashtagErrorLines(errors, tags);
  const invalid = lines.length > 0;
  const commit = (raw: string) => {
    const add = chipsFrom(raw, tags);
    if (add.length) onChange([...tags, ...add]);
    setText("");
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      commit(text);
    } else if (e.key === "Backspace" && text === "" && tags.length) {
      e.preventDefault();
      const last = tags[tags.length - 1];
      onChange(tags.slice(0, -1));
      setText(last);
    }
  };
  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData("text");
    if (!/[,;\n]|\s#/.test(pasted)) return;
    e.preventDefault();
    commit(text + pasted);
  };
  return (
    <div className="field hashtag-field">
      <label htmlFor={id}>
        {label} <span className="muted small num">({tags.length} of {MAX_HASHTAGS})</span>
      </label>
      <div className={`chip-input ${invalid ? "chip-input-invalid" : ""}`} onClick={() => document.getElementById(id)?.focus()}>
        <ul className="chips" aria-label="Hashtags">
          {tags.map((t, i) => {
            const bad = !!chipErrors(errors, i);
            return (
              <li key={t} className={`chip ${bad ? "chip-invalid" : ""}`} data-testid="hashtag-chip" aria-invalid={bad || undefined}>
                #{t}
                <button type="button" aria-label={`Remove #${t}`} onClick={() => onChange(tags.filter((x) => x !== t))}>
                  <X size={12} aria-hidden />
                </button>
              </li>
            );
          })}
        </ul>
        <input
          id={id}
          className="chip-text"
          value={text}
          placeholder={tags.length ? "Add another…" : "fitness, yoga, personaltrainer"}
          aria-describedby={`${id}-hint${invalid ? ` ${id}-err` : ""}`}
          aria-invalid={invalid || undefined}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          onPaste={onPaste}
          onBlur={() => text.trim() && commit(text)}
        />
      </div>
      <div id={`${id}-hint`} className="field-hint">
        Press Enter or type a comma after each hashtag; # and spaces are removed.
      </div>
      <FieldErrors id={`${id}-err`} errors={lines} />
    </div>
  );
}
