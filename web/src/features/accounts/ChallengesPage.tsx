import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Inbox } from "lucide-react";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { formatDateTime } from "../../ui/format";
import { accountKeys, accountsApi, challengeKindText, type ChallengeView } from "./api";
import { useChallenges } from "./ChallengeIndicator";
import "./accounts.css";

/** The challenge inbox: what Instagram asked for during a login by credentials, with a field for the code. */
export default function ChallengesPage() {
  const q = useChallenges();
  const [params] = useSearchParams();
  const focus = params.get("focus");
  const items = q.data?.items ?? [];
  return (
    <div className="page challenges-page">
      <PageHeader
        title="Challenge inbox"
        description="When Instagram asks for a two-factor code or a security check during a login, it waits here. Enter the code and the login continues."
      />
      {q.isPending && <PageSpinner />}
      {q.isError && <FormError message={errorMessage(q.error)} />}
      {q.data && items.length === 0 && (
        <Card>
          <EmptyState icon={<Inbox size={24} />} title="Nothing to answer">
            No login waits for a code. Codes show up here when you <Link to="/accounts">add an account by login</Link> and Instagram asks for one.
          </EmptyState>
        </Card>
      )}
      {items.length > 0 && (
        <ul className="challenge-list" aria-label="Open challenges">
          {items.map((c) => (
            <ChallengeItem key={c.id} challenge={c} autoFocus={focus ? focus === c.id : c.id === items[0].id} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ChallengeItem({ challenge: c, autoFocus }: { challenge: ChallengeView; autoFocus: boolean }) {
  const [code, setCode] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const answer = useMutation({
    mutationFn: (v: string) => accountsApi.answer(c.id, v),
    onSuccess: (out) => {
      // The answer carries the item it answered (now resolved), or the next open one when Instagram asks again.
      if (out.challenge && out.challenge.status === "open" && out.challenge.id !== c.id) {
        toast.info(`Instagram asks @${out.account.username} for another code.`);
      }
      else toast.success(`@${out.account.username} is logged in.`);
      void qc.invalidateQueries({ queryKey: accountKeys.all });
    },
  });
  useEffect(() => {
    if (answer.isError) {
      setCode("");
      input.current?.focus();
    }
  }, [answer.isError, answer.error]);
  const fe = fieldErrors(answer.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = code.replace(/\s/g, "");
    if (v) answer.mutate(v);
  };
  return (
    <li className="challenge-item card" data-testid="challenge-item" data-username={c.username}>
      <div className="challenge-head">
        <strong>@{c.username}</strong>
        <Badge tone="amber">{challengeKindText(c.kind)}</Badge>
        <span className="muted small num">{formatDateTime(c.created_at)}</span>
      </div>
      <p className="challenge-prompt">{c.prompt}</p>
      {c.error && <p className="small muted">Last attempt: {c.error}</p>}
      <form className="challenge-form" onSubmit={submit} noValidate>
        <FormError message={answer.error && !fe.code ? errorMessage(answer.error) : null} />
        <TextField
          ref={input}
          label="Code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={8}
          className="input-code"
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/[^0-9]/g, ""))}
          errors={fe.code}
          autoFocus={autoFocus}
        />
        <Button type="submit" variant="primary" loading={answer.isPending} disabled={!code}>
          Submit code
        </Button>
      </form>
    </li>
  );
}
