import { Check, Circle, Info } from "lucide-react";
import type { RuleResult } from "./passwordRules";

export function PasswordRules({ results, extra, id }: { results: RuleResult[]; extra: string[]; id?: string }) {
  return (
    <ul className="rules" id={id} aria-label="Password rules">
      {results.map((r) => (
        <li key={r.code} className={r.ok ? "rule-ok" : "rule-open"}>
          {r.ok ? <Check size={14} aria-hidden /> : <Circle size={14} aria-hidden />}
          <span>{r.message}</span>
          <span className="sr-only">{r.ok ? "(met)" : "(not met yet)"}</span>
        </li>
      ))}
      {extra.map((m) => (
        <li key={m} className="rule-info">
          <Info size={14} aria-hidden />
          <span>{m}</span>
        </li>
      ))}
      {extra.length === 0 && (
        <li className="rule-info">
          <Info size={14} aria-hidden />
          <span>Not a commonly used password (checked by the server)</span>
        </li>
      )}
    </ul>
  );
}
