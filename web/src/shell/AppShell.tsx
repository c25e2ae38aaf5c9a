import { Suspense, useEffect, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LogOut, Menu, PanelLeftClose, PanelLeftOpen, X } from "lucide-react";
import { authApi } from "../api/endpoints";
import { signedOut, useCurrentUser } from "../features/auth/session";
import { Badge } from "../ui/misc";
import { PageSpinner, Spinner } from "../ui/Spinner";
import { useToast } from "../ui/Toasts";
import { SandboxBanner } from "../features/providers/SandboxBanner";
import { navFor, type NavItem } from "./nav";
import { ThemeToggle } from "./theme";
import { BackgroundWorkButton } from "../features/jobs/BackgroundWork";
import { AccountSwitcher } from "../features/accounts/AccountSwitcher";
import { ChallengeIndicator } from "../features/accounts/ChallengeIndicator";
import { useMediaQuery } from "./useMediaQuery";

const COLLAPSE_KEY = "leadgen.sidebar.collapsed";

function readCollapsed(): boolean {
  try {
    return localStorage.getItem(COLLAPSE_KEY) === "1";
  } catch {
    return false;
  }
}

export function AppShell() {
  const user = useCurrentUser();
  const phone = useMediaQuery("(max-width: 640px)");
  const narrow = useMediaQuery("(max-width: 900px)");
  const [collapsedPref, setCollapsedPref] = useState(readCollapsed);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const location = useLocation();
  const collapsed = !phone && (narrow || collapsedPref);

  useEffect(() => setDrawerOpen(false), [location.pathname]);
  useEffect(() => {
    if (!drawerOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setDrawerOpen(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawerOpen]);

  const toggleCollapsed = () => {
    const v = !collapsedPref;
    setCollapsedPref(v);
    try {
      localStorage.setItem(COLLAPSE_KEY, v ? "1" : "0");
    } catch {
      /* ignore */
    }
  };

  const items = navFor(user.role);
  const sidebarClass = ["sidebar", collapsed ? "collapsed" : "", phone ? "drawer" : "", drawerOpen ? "open" : ""].join(" ");

  return (
    <>
    <SandboxBanner />
    <div className={["shell", collapsed ? "shell-collapsed" : "", phone ? "shell-phone" : ""].join(" ")}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {phone && drawerOpen && <div className="drawer-backdrop" onClick={() => setDrawerOpen(false)} aria-hidden />}
      <aside className={sidebarClass} aria-label="Main navigation" id="sidebar" hidden={phone && !drawerOpen}>
        <div className="sidebar-brand">
          <span className="brand-mark" aria-hidden>
            L
          </span>
          {!collapsed && <span className="brand-name">leadgen</span>}
          {phone && (
            <button type="button" className="icon-btn drawer-close" aria-label="Close menu" onClick={() => setDrawerOpen(false)}>
              <X size={18} aria-hidden />
            </button>
          )}
        </div>
        <SidebarNav items={items} collapsed={collapsed} />
        {!phone && !narrow && (
          <button
            type="button"
            className="sidebar-toggle"
            onClick={toggleCollapsed}
            aria-label={collapsed ? "Expand sidebar" : "Collapse sidebar"}
            aria-expanded={!collapsed}
            title={collapsed ? "Expand sidebar" : "Collapse sidebar"}
          >
            {collapsed ? <PanelLeftOpen size={16} aria-hidden /> : <PanelLeftClose size={16} aria-hidden />}
            {!collapsed && <span>Collapse</span>}
          </button>
        )}
      </aside>
      <div className="shell-main">
        <TopBar phone={phone} onMenu={() => setDrawerOpen(true)} drawerOpen={drawerOpen} />
        <main id="main" className="content" tabIndex={-1}>
          <Suspense fallback={<PageSpinner />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
    </>
  );
}

function SidebarNav({ items, collapsed }: { items: NavItem[]; collapsed: boolean }) {
  let lastSection: string | undefined;
  return (
    <nav className="sidebar-nav">
      <ul>
        {items.map((item) => {
          const heading = item.section && item.section !== lastSection ? item.section : null;
          lastSection = item.section;
          const Icon = item.icon;
          return (
            <li key={item.to}>
              {heading && !collapsed && <div className="nav-section">{heading}</div>}
              {heading && collapsed && <div className="nav-divider" aria-hidden />}
              <NavLink
                to={item.to}
                end={item.end}
                className={({ isActive }) => ["nav-link", isActive ? "active" : ""].join(" ")}
                title={collapsed ? item.label : undefined}
                aria-label={collapsed ? item.label : undefined}
              >
                <Icon size={18} aria-hidden />
                {!collapsed && <span>{item.label}</span>}
              </NavLink>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function TopBar({ phone, onMenu, drawerOpen }: { phone: boolean; onMenu: () => void; drawerOpen: boolean }) {
  const user = useCurrentUser();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const logout = useMutation({
    mutationFn: authApi.logout,
    onSettled: (_d, err) => {
      if (err) toast.error(err);
      // Leave first so the next sign-in starts fresh at the dashboard, not at the page we left.
      navigate("/login", { replace: true, state: null });
      signedOut(qc);
    },
  });
  return (
    <header className="topbar">
      {phone && (
        <button
          type="button"
          className="icon-btn"
          aria-label="Open menu"
          aria-controls="sidebar"
          aria-expanded={drawerOpen}
          onClick={onMenu}
        >
          <Menu size={18} aria-hidden />
        </button>
      )}
      <AccountSwitcher />
      <div className="topbar-spacer" />
      <ChallengeIndicator />
      <BackgroundWorkButton canWrite={user.role !== "viewer"} />
      <ThemeToggle />
      <div className="topbar-user" data-testid="topbar-user">
        <span className="avatar" aria-hidden>
          {user.username.slice(0, 1).toUpperCase()}
        </span>
        <span className="topbar-username">{user.username}</span>
        <Badge tone={user.role === "admin" ? "green" : user.role === "viewer" ? "blue" : "neutral"}>{user.role}</Badge>
      </div>
      <button type="button" className="btn btn-ghost btn-sm" onClick={() => logout.mutate()} disabled={logout.isPending}>
        {logout.isPending ? <Spinner size={14} /> : <LogOut size={14} aria-hidden />}
        <span>Sign out</span>
      </button>
    </header>
  );
}
