import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { AlertTriangle, ArrowRight, CheckCircle2, FileUp, MailCheck, MailX, MessageSquareReply, Plus, ShieldAlert, Upload, UserX } from "lucide-react";
import { useCurrentUser } from "../auth/session";
import { errorMessage } from "../../lib/errors";
import { FormError } from "../../ui/Field";
import { Badge, Card, PageHeader } from "../../ui/misc";
import { PageSpinner } from "../../ui/Spinner";
import { formatDateTime } from "../../ui/format";
import { statusLabel } from "../leads/api";
import { BackgroundWork } from "../jobs/BackgroundWork";
import { SessionTile } from "../sessions/SessionTile";
import { AccountsTile } from "../accounts/AccountsTile";
import "../accounts/accounts.css";
import { dashboardApi, dashboardKeys, leadsLink, type Dashboard } from "./api";
import "./dashboard.css";

const STATUS_COLORS: Record<string, string> = {
  new: "#87918c",
  enriched: "#2f5f8f",
  qualified: "#2f7d4f",
  email_drafted: "#7a5aa6",
  contacted: "#3f8f5f",
  replied: "#1f6e8c",
  bounced: "#c0392b",
  not_interested: "#b5bdb9",
  do_not_contact: "#a5301f",
};

/** The first page: what your leads look like, what needs you, your latest imports — or what to do first. */
export function DashboardPage() {
  const user = useCurrentUser();
  const summary = useQuery({ queryKey: dashboardKeys.summary, queryFn: dashboardApi.get, staleTime: 15_000 });
  const d = summary.data;
  const empty = d && d.total_leads === 0 && d.recent_imports.length === 0;
  return (
    <div className="page dashboard">
      <PageHeader
        title={`Welcome, ${user.username}`}
        description={d && !empty ? `${d.total_leads.toLocaleString()} lead${d.total_leads === 1 ? "" : "s"} in your workspace.` : "Your work at a glance."}
        actions={
          user.role !== "viewer" && d && !empty ? (
            <Link className="btn btn-sm" to="/leads?import=1">
              <Upload size={14} aria-hidden /> <span>Import CSV</span>
            </Link>
          ) : undefined
        }
      />
      {user.must_change_password && (
        <div className="notice" role="status">
          Your password must be changed. <Link to="/profile">Change it on your profile</Link>.
        </div>
      )}
      {!user.two_factor_enabled && (
        <div className="notice" role="status">
          <ShieldAlert size={14} aria-hidden /> Two-factor authentication is off. <Link to="/profile#two-factor">Turn it on</Link>.
        </div>
      )}
      {summary.isPending ? (
        <PageSpinner />
      ) : summary.isError ? (
        <FormError message={errorMessage(summary.error)} />
      ) : empty ? (
        <>
          <FirstSteps viewer={user.role === "viewer"} />
          <AccountsTile />
        </>
      ) : (
        d && (
          <div className="dash-grid">
            <ByStatus d={d} />
            <Attention d={d} />
            <SessionTile canWrite={user.role !== "viewer"} />
            <AccountsTile />
            <BackgroundWork canWrite={user.role !== "viewer"} />
            <RecentImports d={d} />
          </div>
        )
      )}
    </div>
  );
}

function FirstSteps({ viewer }: { viewer: boolean }) {
  if (viewer) {
    return (
      <Card>
        <div className="dash-empty" data-testid="dashboard-empty">
          <h2>No leads yet</h2>
          <p className="muted">Your workspace is empty. Leads appear here once someone imports or adds them for you.</p>
        </div>
      </Card>
    );
  }
  return (
    <Card>
      <div className="dash-empty" data-testid="dashboard-empty">
        <h2>Start with your leads</h2>
        <p className="muted">Your workspace is empty. Three steps to your first outreach:</p>
        <ol className="dash-steps">
          <li>
            <span className="dash-step-no">1</span>
            <div>
              <strong>Import your leads</strong>
              <div className="small muted">A CSV export from your scraper or spreadsheet; German headers are recognised.</div>
            </div>
            <Link className="btn btn-primary btn-sm" to="/leads?import=1">
              <FileUp size={14} aria-hidden /> <span>Import CSV</span>
            </Link>
          </li>
          <li>
            <span className="dash-step-no">2</span>
            <div>
              <strong>Describe what you offer</strong>
              <div className="small muted">A product with its price and details, used in your prompts.</div>
            </div>
            <Link className="btn btn-sm" to="/products">
              <Plus size={14} aria-hidden /> <span>New product</span>
            </Link>
          </li>
          <li>
            <span className="dash-step-no">3</span>
            <div>
              <strong>Write a prompt</strong>
              <div className="small muted">The instructions for your outreach e-mails.</div>
            </div>
            <Link className="btn btn-sm" to="/prompts/new">
              <Plus size={14} aria-hidden /> <span>New prompt</span>
            </Link>
          </li>
        </ol>
        <p className="small muted">
          Only a few leads? <Link to="/leads">Add them one by one</Link> in the grid. None at hand?{" "}
          <Link to="/sessions/new">Start a session</Link> to find them behind Instagram hashtags.
        </p>
      </div>
    </Card>
  );
}

function ByStatus({ d }: { d: Dashboard }) {
  const max = Math.max(1, ...d.by_status.map((s) => s.count));
  return (
    <Card title="Leads by status" className="dash-status" actions={<Link to="/leads" className="small">Open the grid <ArrowRight size={12} aria-hidden /></Link>}>
      {d.by_status.length === 0 ? (
        <p className="muted small">No leads left: the ones you had are deleted.</p>
      ) : (
        <ul className="status-bars" aria-label="Leads by status">
          {d.by_status.map((s) => (
            <li key={s.status}>
              <Link to={leadsLink({ statuses: [s.status] })} className="status-bar-row" data-testid="status-row">
                <span className="status-bar-label">{statusLabel(s.status)}</span>
                <span className="status-bar-track" aria-hidden>
                  <span className="status-bar-fill" style={{ width: `${(100 * s.count) / max}%`, background: STATUS_COLORS[s.status] ?? "var(--brand)" }} />
                </span>
                <span className="status-bar-count num">{s.count.toLocaleString()}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Attention({ d }: { d: Dashboard }) {
  const a = d.attention;
  const items = [
    { n: a.replied, icon: <MessageSquareReply size={16} />, text: (n: number) => `${n === 1 ? "lead" : "leads"} replied — answer them`, to: leadsLink({ statuses: ["replied"] }) },
    { n: a.bounced, icon: <MailX size={16} />, text: (n: number) => `e-mail${n === 1 ? "" : "s"} bounced — fix the address`, to: leadsLink({ statuses: ["bounced"] }) },
    {
      n: a.new_without_email,
      icon: <UserX size={16} />,
      text: (n: number) => `new ${n === 1 ? "lead has" : "leads have"} no e-mail address`,
      to: leadsLink({ statuses: ["new"], hasEmail: "no" }),
    },
    { n: a.unfinished_imports, icon: <AlertTriangle size={16} />, text: (n: number) => `import${n === 1 ? "" : "s"} failed or stopped`, to: "/leads?import=1" },
    { n: a.drafts_to_review, icon: <MailCheck size={16} />, text: (n: number) => `e-mail draft${n === 1 ? " waits" : "s wait"} for your review`, to: "/review" },
  ].filter((i) => i.n > 0);
  return (
    <Card title="Needs attention" className="dash-attention">
      {items.length === 0 ? (
        <p className="dash-clear">
          <CheckCircle2 size={16} aria-hidden /> All clear: nothing is waiting for you.
        </p>
      ) : (
        <ul className="attention-list" data-testid="attention">
          {items.map((i, k) => (
            <li key={k}>
              <Link to={i.to}>
                <span className="attention-icon" aria-hidden>
                  {i.icon}
                </span>
                <strong className="num">{i.n.toLocaleString()}</strong> {i.text(i.n)}
                <ArrowRight size={14} aria-hidden className="attention-arrow" />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

const IMPORT_TONE: Record<string, "green" | "red" | "amber" | "neutral" | "blue"> = {
  done: "green",
  failed: "red",
  interrupted: "amber",
  running: "blue",
  cancelled: "neutral",
};

function RecentImports({ d }: { d: Dashboard }) {
  return (
    <Card title="Recent imports" className="dash-imports">
      {d.recent_imports.length === 0 ? (
        <p className="muted small">
          No imports yet. <Link to="/leads?import=1">Import a CSV</Link>
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table table-compact" data-testid="recent-imports">
            <thead>
              <tr>
                <th>File</th>
                <th className="dash-when">When</th>
                <th className="num">Added</th>
                <th className="num dash-opt">Updated</th>
                <th className="num dash-opt">Skipped</th>
                <th className="num">Failed</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {d.recent_imports.map((i) => (
                <tr key={i.id}>
                  <td className="dash-file" title={i.filename}>
                    {i.filename}
                  </td>
                  <td className="num muted dash-when">{formatDateTime(i.created_at)}</td>
                  <td className="num">{i.inserted.toLocaleString()}</td>
                  <td className="num dash-opt">{i.updated.toLocaleString()}</td>
                  <td className="num dash-opt">{i.skipped.toLocaleString()}</td>
                  <td className={`num ${i.failed ? "dash-failed" : ""}`}>{i.failed.toLocaleString()}</td>
                  <td>
                    <Badge tone={IMPORT_TONE[i.status] ?? "neutral"}>{i.status}</Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
