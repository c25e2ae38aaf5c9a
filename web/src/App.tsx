import { lazy } from "react";
import { Navigate, Route, Routes } from "react-router";
import { LoginPage } from "./features/auth/LoginPage";
import { RequireAuth, RequireRole } from "./features/auth/guards";
import { DashboardPage } from "./features/dashboard/DashboardPage";
import { AppShell } from "./shell/AppShell";
import { EmptyState } from "./ui/misc";
import { Link } from "react-router";

// Route-level code splitting: only the login page, the shell and the dashboard are in the initial bundle.
const ProfilePage = lazy(() => import("./features/profile/ProfilePage"));
const UsersPage = lazy(() => import("./features/admin/UsersPage"));
const AuditPage = lazy(() => import("./features/admin/AuditPage"));
const PolicyPage = lazy(() => import("./features/admin/PolicyPage"));
const JobsPage = lazy(() => import("./features/jobs/JobsPage"));
const LeadsPage = lazy(() => import("./features/leads/LeadsPage"));
const DoNotContactPage = lazy(() => import("./features/dnc/DoNotContactPage"));
const ProductsPage = lazy(() => import("./features/prompts/ProductsPage"));
const PromptsPage = lazy(() => import("./features/prompts/PromptsPage"));
const ReviewPage = lazy(() => import("./features/review/ReviewPage"));
const ProvidersPage = lazy(() => import("./features/providers/ProvidersPage"));
const ConnectionsPage = lazy(() => import("./features/providers/ConnectionsPage"));
const UsagePage = lazy(() => import("./features/providers/UsagePage"));
const SessionsPage = lazy(() => import("./features/sessions/SessionsPage"));
const NewSessionPage = lazy(() => import("./features/sessions/NewSessionPage"));
const SessionDetailPage = lazy(() => import("./features/sessions/SessionDetailPage"));
const AccountsPage = lazy(() => import("./features/accounts/AccountsPage"));
const AccountDetailPage = lazy(() => import("./features/accounts/AccountDetailPage"));
const ChallengesPage = lazy(() => import("./features/accounts/ChallengesPage"));
const AdminAccountsPage = lazy(() => import("./features/accounts/AdminAccountsPage"));

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <AppShell />
          </RequireAuth>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="profile" element={<ProfilePage />} />
        <Route path="leads" element={<LeadsPage />} />
        <Route path="sessions" element={<SessionsPage />} />
        <Route
          path="sessions/new"
          element={
            <RequireRole roles={["admin", "user"]}>
              <NewSessionPage />
            </RequireRole>
          }
        />
        <Route path="sessions/:id" element={<SessionDetailPage />} />
        <Route path="accounts" element={<AccountsPage />} />
        <Route path="accounts/:id" element={<AccountDetailPage />} />
        <Route path="challenges" element={<ChallengesPage />} />
        <Route path="do-not-contact" element={<DoNotContactPage />} />
        <Route path="products" element={<ProductsPage />} />
        <Route path="prompts" element={<PromptsPage />} />
        <Route path="prompts/:id" element={<PromptsPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="settings">
          <Route index element={<Navigate to="/settings/connections" replace />} />
          <Route
            path="connections"
            element={
              <RequireRole roles={["admin", "user"]}>
                <ConnectionsPage />
              </RequireRole>
            }
          />
          <Route
            path="providers"
            element={
              <RequireRole roles={["admin"]}>
                <ProvidersPage />
              </RequireRole>
            }
          />
        </Route>
        <Route path="admin">
          <Route index element={<Navigate to="/admin/users" replace />} />
          <Route
            path="users"
            element={
              <RequireRole roles={["admin"]}>
                <UsersPage />
              </RequireRole>
            }
          />
          <Route
            path="audit"
            element={
              <RequireRole roles={["admin"]}>
                <AuditPage />
              </RequireRole>
            }
          />
          <Route
            path="accounts"
            element={
              <RequireRole roles={["admin"]}>
                <AdminAccountsPage />
              </RequireRole>
            }
          />
          <Route
            path="jobs"
            element={
              <RequireRole roles={["admin"]}>
                <JobsPage />
              </RequireRole>
            }
          />
          <Route
            path="usage"
            element={
              <RequireRole roles={["admin"]}>
                <UsagePage />
              </RequireRole>
            }
          />
          <Route
            path="policy"
            element={
              <RequireRole roles={["admin"]}>
                <PolicyPage />
              </RequireRole>
            }
          />
        </Route>
        <Route
          path="*"
          element={
            <EmptyState title="Page not found" level={1}>
              <Link to="/">Go to the dashboard</Link>
            </EmptyState>
          }
        />
      </Route>
    </Routes>
  );
}
