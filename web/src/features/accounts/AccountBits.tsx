import { useState } from "react";
import { Badge } from "../../ui/misc";
import { health, type AccountView, type Vault } from "./api";

/** The account's picture, or its initial when there is none (or the picture does not load). */
export function Avatar({ account, size = 32 }: { account: Pick<AccountView, "username" | "profile_picture_url">; size?: number }) {
  const [failed, setFailed] = useState(false);
  const url = account.profile_picture_url;
  const style = { width: size, height: size, fontSize: Math.round(size * 0.45) };
  if (url && !failed) {
    return <img className="ig-avatar" src={url} alt="" style={style} onError={() => setFailed(true)} referrerPolicy="no-referrer" />;
  }
  return (
    <span className="ig-avatar ig-avatar-initial" style={style} aria-hidden>
      {account.username.slice(0, 1).toUpperCase()}
    </span>
  );
}

export function HealthBadge({ vault }: { vault: Pick<Vault, "needs_reconnect" | "session_status" | "link_kinds" | "last_error_code"> }) {
  const h = health(vault);
  return (
    <span data-testid="account-health">
      <Badge tone={h.tone} title={h.hint}>
        {h.label}
      </Badge>
    </span>
  );
}

export function KindBadges({ kinds }: { kinds: readonly string[] }) {
  if (kinds.length === 0) return <Badge>not linked</Badge>;
  return (
    <span className="ig-kinds" data-testid="link-kinds">
      {kinds.map((k) => (
        <Badge key={k} tone={k === "official" ? "blue" : "neutral"} title={k === "official" ? "Instagram Login: messaging and insights" : "Credential session on the sidecar: automation"}>
          {k}
        </Badge>
      ))}
    </span>
  );
}

export function RoleBadge({ role }: { role: string }) {
  return <Badge tone={role === "owner" ? "green" : role === "viewer" ? "blue" : "neutral"}>{role}</Badge>;
}
