import { useId, useState } from "react";
import { Download } from "lucide-react";
import { Button } from "../../ui/Button";
import { CopyButton, downloadText } from "../../ui/CopyButton";

/** Shows freshly issued backup codes once, with Copy and Download, and an "I saved them" confirmation. */
export function BackupCodesPanel({
  codes,
  username,
  onDone,
  doneLabel = "Continue",
}: {
  codes: string[];
  username?: string;
  onDone: () => void;
  doneLabel?: string;
}) {
  const [saved, setSaved] = useState(false);
  const checkId = useId();
  const text = codes.join("\n") + "\n";
  return (
    <div className="backup-codes">
      <p>
        Each code signs you in once if you lose your authenticator. They are shown <strong>only now</strong>: copy or
        download them and keep them somewhere safe.
      </p>
      <ol className="codes" aria-label="Backup codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="row gap">
        <CopyButton text={text} label="Copy codes" />
        <Button
          size="sm"
          icon={<Download size={14} aria-hidden />}
          onClick={() => downloadText(`leadgen-backup-codes${username ? "-" + username : ""}.txt`, text)}
        >
          Download .txt
        </Button>
      </div>
      <div className="check-row">
        <input id={checkId} type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} autoFocus />
        <label htmlFor={checkId}>I saved my backup codes</label>
      </div>
      <Button variant="primary" disabled={!saved} onClick={onDone}>
        {doneLabel}
      </Button>
    </div>
  );
}
