import { Link } from "react-router";
import { ArrowRight, AtSign, ShieldQuestion } from "lucide-react";
import { Badge, Card } from "../../ui/misc";
import { useSelectedAccount } from "./AccountSwitcher";
import { useChallenges } from "./ChallengeIndicator";
import { Avatar, HealthBadge } from "./AccountBits";

const SHOWN = 4;

/** The dashboard's tile: my Instagram accounts with their health, and codes Instagram waits for. */
export function AccountsTile() {
  const { data, isPending } = useSelectedAccount();
  const challenges = useChallenges();
  const open = challenges.data?.items.length ?? 0;
  const items = data?.items ?? [];
  return (
    <Card
      title="Instagram accounts"
      className="dash-accounts"
      actions={
        <Link to="/accounts" className="small">
          Manage <ArrowRight size={12} aria-hidden />
        </Link>
      }
    >
      {open > 0 && (
        <p className="notice small" role="status">
          <ShieldQuestion size={14} aria-hidden /> Instagram waits for {open === 1 ? "a code" : `${open} codes`}: <Link to="/challenges">answer in the inbox</Link>
        </p>
      )}
      {isPending ? (
        <p className="muted small">Loading…</p>
      ) : items.length === 0 ? (
        <div className="jobs-empty" data-testid="accounts-tile-empty">
          <AtSign size={16} aria-hidden />
          <p className="small muted">
            No Instagram account linked yet. <Link to="/accounts">Link one</Link> to message, see insights and automate.
          </p>
        </div>
      ) : (
        <ul className="ig-list" aria-label="Instagram accounts" data-testid="accounts-tile">
          {items.slice(0, SHOWN).map((a) => (
            <li key={a.id} className="ig-row">
              <Avatar account={a} size={24} />
              <Link className="ig-main" to={`/accounts/${encodeURIComponent(a.id)}`}>
                @{a.username}
              </Link>
              {a.is_primary && <Badge tone="green">primary</Badge>}
              <HealthBadge vault={a.vault} />
            </li>
          ))}
          {items.length > SHOWN && <li className="small muted">and {items.length - SHOWN} more</li>}
        </ul>
      )}
    </Card>
  );
}
