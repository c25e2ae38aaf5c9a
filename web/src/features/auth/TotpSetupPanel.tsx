import { useState, type FormEvent } from "react";
import type { TotpSetup } from "../../api/types";
import { Button } from "../../ui/Button";
import { CopyButton } from "../../ui/CopyButton";
import { TextField } from "../../ui/Field";

export function formatSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})/g, "$1 ").trim();
}

/** QR code + manual secret + 6-digit confirmation code. */
export function TotpSetupPanel({
  setup,
  onConfirm,
  pending,
  error,
  submitLabel = "Turn on two-factor authentication",
}: {
  setup: TotpSetup;
  onConfirm: (code: string) => void;
  pending: boolean;
  error?: string[];
  submitLabel?: string;
}) {
  const [code, setCode] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm(code.replace(/\s+/g, ""));
  };
  return (
    <form className="totp-setup" onSubmit={submit} noValidate>
      <ol className="steps">
        <li>Open an authenticator app (for example Aegis, 1Password, Google Authenticator).</li>
        <li>Scan the QR code, or enter the secret by hand.</li>
        <li>Type the 6-digit code the app shows.</li>
      </ol>
      <div className="totp-grid">
        <img className="qr" src={setup.qr_data_url} alt="QR code for your authenticator app" width={176} height={176} />
        <div className="secret-box">
          <div className="label-like" id="totp-secret-label">
            Secret key
          </div>
          <code className="secret" aria-labelledby="totp-secret-label" data-testid="totp-secret">
            {formatSecret(setup.secret)}
          </code>
          <CopyButton text={setup.secret} label="Copy secret" />
        </div>
      </div>
      <TextField
        label="6-digit code from the app"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]*"
        maxLength={6}
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/[^0-9]/g, ""))}
        errors={error}
        autoFocus
        className="input-code"
        required
      />
      <Button type="submit" variant="primary" loading={pending} disabled={code.length !== 6}>
        {submitLabel}
      </Button>
    </form>
  );
}
