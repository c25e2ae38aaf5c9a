// The one list of areas: the sidebar, the dashboard cards and the role checks read it.
// Later issues add Pipeline and Bot here (plus their routes in App.tsx).
import type { LucideIcon } from "lucide-react";
import {
  AtSign,
  Ban,
  BarChart3,
  Boxes,
  Cog,
  FileText,
  KeyRound,
  LayoutDashboard,
  MailCheck,
  Plug,
  ScrollText,
  ShieldCheck,
  Sheet,
  UserRound,
  Users,
  Workflow,
} from "lucide-react";
import type { Role } from "../api/types";

export interface NavItem {
  to: string;
  label: string;
  icon: LucideIcon;
  /** Group heading in the sidebar. */
  section?: string;
  /** Roles that may see it; all roles when absent. */
  roles?: Role[];
  /** Shown on the dashboard card; items without it get no card. */
  description?: string;
  end?: boolean;
}

export const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", icon: LayoutDashboard, end: true },
  {
    to: "/accounts",
    label: "Accounts",
    icon: AtSign,
    section: "Instagram",
    description: "Link your Instagram accounts, see each one's session vault, share them with your team.",
  },
  {
    to: "/leads",
    label: "Leads",
    icon: Sheet,
    section: "Workspace",
    description: "The lead spreadsheet: search, filter, edit inline, import and export CSV.",
  },
  {
    to: "/sessions",
    label: "Sessions",
    icon: Workflow,
    section: "Workspace",
    description: "Find leads behind hashtags, complete their contacts and draft a first e-mail each, with live progress.",
  },
  {
    to: "/review",
    label: "Review",
    icon: MailCheck,
    section: "Workspace",
    description: "E-mail drafts written for your leads: edit, approve or reject, write one again.",
  },
  {
    to: "/do-not-contact",
    label: "Do not contact",
    icon: Ban,
    section: "Workspace",
    description: "Usernames and e-mails never to reach; matching leads are marked do not contact.",
  },
  {
    to: "/products",
    label: "Products",
    icon: Boxes,
    section: "Workspace",
    description: "What you sell, with the variables your email prompts use.",
  },
  {
    to: "/prompts",
    label: "Prompts",
    icon: FileText,
    section: "Workspace",
    description: "System prompts for outreach emails, with live preview on a lead.",
  },
  {
    to: "/settings/connections",
    label: "Connections",
    icon: Plug,
    section: "Settings",
    // Viewers only read: they send nothing and use no AI keys of their own.
    roles: ["admin", "user"],
    description: "Connect your Gmail mailboxes and set your own AI keys.",
  },
  {
    to: "/settings/providers",
    label: "Providers",
    icon: KeyRound,
    section: "Settings",
    roles: ["admin"],
    description: "Credentials of the outside services, with a connection test for each.",
  },
  {
    to: "/profile",
    label: "Profile",
    icon: UserRound,
    description: "Password, two-factor authentication, sessions and API tokens.",
  },
  {
    to: "/admin/users",
    label: "Users",
    icon: Users,
    section: "Admin",
    roles: ["admin"],
    description: "Create users, change roles, reset passwords and 2FA.",
  },
  {
    to: "/admin/audit",
    label: "Audit log",
    icon: ScrollText,
    section: "Admin",
    roles: ["admin"],
    description: "Security-relevant events: sign-ins, changes, revocations.",
  },
  {
    to: "/admin/accounts",
    label: "IG accounts",
    icon: AtSign,
    section: "Admin",
    roles: ["admin"],
    description: "Every user's Instagram accounts: owner, links, health, last error; force a session logout.",
  },
  {
    to: "/admin/jobs",
    label: "Jobs",
    icon: Cog,
    section: "Admin",
    roles: ["admin"],
    description: "Background work of every user: queues, progress, failures; retry or cancel.",
  },
  {
    to: "/admin/usage",
    label: "Usage",
    icon: BarChart3,
    section: "Admin",
    roles: ["admin"],
    description: "Provider calls, failures, tokens and time per user and provider.",
  },
  {
    to: "/admin/policy",
    label: "Policy",
    icon: ShieldCheck,
    section: "Admin",
    roles: ["admin"],
    description: "Require two-factor authentication for everyone.",
  },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((n) => !n.roles || n.roles.includes(role));
}
