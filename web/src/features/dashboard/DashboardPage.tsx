import { Link } from "react-router";
import { ArrowRight, ShieldAlert, ShieldCheck } from "lucide-react";
import { useCurrentUser } from "../auth/session";
import { navFor } from "../../shell/nav";
import { Badge, Card, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";

export function DashboardPage() {
  const user = useCurrentUser();
  const cards = navFor(user.role).filter((n) => n.description);
  return (
    <div className="page">
      <PageHeader title={`Welcome, ${user.username}`} description="Your account at a glance." />
      {user.must_change_password && (
        <div className="notice" role="status">
          Your password must be changed. <Link to="/profile">Change it on your profile</Link>.
        </div>
      )}
      <Card title="Your account">
        <dl className="facts">
          <div>
            <dt>Username</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              <Badge tone={user.role === "admin" ? "green" : user.role === "viewer" ? "blue" : "neutral"}>{user.role}</Badge>
            </dd>
          </div>
          <div>
            <dt>Two-factor authentication</dt>
            <dd>
              {user.two_factor_enabled ? (
                <span className="status-ok">
                  <ShieldCheck size={14} aria-hidden /> On
                </span>
              ) : (
                <span className="status-warn">
                  <ShieldAlert size={14} aria-hidden /> Off — <Link to="/profile#two-factor">turn it on</Link>
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{user.email ?? "—"}</dd>
          </div>
          <div>
            <dt>Last sign-in</dt>
            <dd className="num">{formatDateTime(user.last_login_at)}</dd>
          </div>
        </dl>
      </Card>
      <div className="area-cards">
        {cards.map((c) => {
          const Icon = c.icon;
          return (
            <Link key={c.to} to={c.to} className="area-card">
              <span className="area-icon" aria-hidden>
                <Icon size={20} />
              </span>
              <span className="area-text">
                <span className="area-title">
                  {c.section ? `${c.section}: ` : ""}
                  {c.label}
                </span>
                <span className="area-desc">{c.description}</span>
              </span>
              <ArrowRight size={16} aria-hidden className="area-arrow" />
            </Link>
          );
        })}
      </div>
    </div>
  );
}
