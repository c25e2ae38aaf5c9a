import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ShieldAlert, ShieldCheck } from "lucide-react";
import { meApi, qk } from "../../api/endpoints";
import type { Me, TotpSetup } from "../../api/types";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Card } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { BackupCodesPanel } from "../auth/BackupCodesPanel";
import { useCurrentUser } from "../auth/session";
import { TotpSetupPanel } from "../auth/TotpSetupPanel";

export function TwoFactorSection() {
  const user = useCurrentUser();
  const status = useQuery({ queryKey: qk.twoFactor, queryFn: meApi.twoFactor });
  const [codes, setCodes] = useState<string[] | null>(null);
  const qc = useQueryClient();

  const finish = () => {
    setCodes(null);
    void qc.invalidateQueries({ queryKey: qk.twoFactor });
  };

  let body;
  if (codes) {
    body = <BackupCodesPanel codes={codes} username={user.username} onDone={finish} doneLabel="Done" />;
  } else if (status.isPending) {
    body = <PageSpinner />;
  } else if (status.isError) {
    body = <FormError message={errorMessage(status.error)} />;
  } else if (status.data.enabled) {
    body = (
      <div className="stack">
        <p className="status-ok">
          <ShieldCheck size={16} aria-hidden /> Two-factor authentication is on.
        </p>
        <p className="muted">
          <span className="num">{status.data.backup_codes_remaining}</span> unused backup code
          {status.data.backup_codes_remaining === 1 ? "" : "s"} left.
          {status.data.required_by_policy && " Your organisation requires two-factor authentication."}
        </p>
        <RegenerateForm onCodes={setCodes} />
      </div>
    );
  } else {
    body = (
      <SetupFlow
        onCodes={(c) => {
          setCodes(c);
          qc.setQueryData<Me | null>(qk.me, (m) => (m ? { ...m, two_factor_enabled: true } : m));
        }}
      />
    );
  }
  return (
    <Card title="Two-factor authentication" className="twofa-card">
      <div id="two-factor">{body}</div>
    </Card>
  );
}

function RegenerateForm({ onCodes }: { onCodes: (c: string[]) => void }) {
  const [code, setCode] = useState("");
  const toast = useToast();
  const m = useMutation({
    mutationFn: () => meApi.regenerateBackupCodes(code),
    onSuccess: (r) => {
      setCode("");
      toast.success("New backup codes created. The old ones no longer work.");
      onCodes(r.backup_codes);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (code.length === 6) m.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <h3>Regenerate backup codes</h3>
      <TextField
        label="Current code from your authenticator app"
        name="regenerate_code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={6}
        className="input-code"
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/[^0-9]/g, ""))}
        errors={m.error ? [errorMessage(m.error)] : undefined}
        hint="Old backup codes stop working."
      />
      <div>
        <Button type="submit" loading={m.isPending} disabled={code.length !== 6}>
          Regenerate backup codes
        </Button>
      </div>
    </form>
  );
}

function SetupFlow({ onCodes }: { onCodes: (c: string[]) => void }) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const toast = useToast();
  const start = useMutation({ mutationFn: meApi.setup2fa, onSuccess: setSetup, onError: (e) => toast.error(e) });
  const confirm = useMutation({
    mutationFn: (code: string) => meApi.confirm2fa(code),
    onSuccess: (r) => {
      toast.success("Two-factor authentication is on.");
      onCodes(r.backup_codes);
    },
  });
  if (!setup) {
    return (
      <div className="stack">
        <p className="status-warn">
          <ShieldAlert size={16} aria-hidden /> Two-factor authentication is off.
        </p>
        <p className="muted">Protect your account with a code from an authenticator app when you sign in.</p>
        <div>
          <Button variant="primary" loading={start.isPending} onClick={() => start.mutate()}>
            Set up two-factor authentication
          </Button>
        </div>
      </div>
    );
  }
  return (
    <TotpSetupPanel
      setup={setup}
      pending={confirm.isPending}
      error={confirm.error ? [errorMessage(confirm.error)] : undefined}
      onConfirm={(code) => confirm.mutate(code)}
    />
  );
}
