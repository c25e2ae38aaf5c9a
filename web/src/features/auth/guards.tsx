import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ShieldOff } from "lucide-react";
import type { Role } from "../../api/types";
import { PageSpinner } from "../../ui/Spinner";
import { EmptyState } from "../../ui/misc";
import { useMe } from "./session";
import { Link } from "react-router";

export function RequireAuth({ children }: { children: ReactNode }) {
  const { data, isPending, isError, refetch } = useMe();
  const location = useLocation();
  if (isPending) return <PageSpinner label="Checking your session" />;
  if (isError) {
    return (
      <div className="center-page">
        <EmptyState title="Can't reach the server">
          <button className="btn btn-primary" type="button" onClick={() => refetch()}>
            Try again
          </button>
        </EmptyState>
      </div>
    );
  }
  if (!data) {
    const from = location.pathname + location.search + location.hash;
    return <Navigate to="/login" replace state={{ from }} />;
  }
  return <>{children}</>;
}

export function NoAccess() {
  return (
    <EmptyState icon={<ShieldOff size={28} />} title="You don't have access" level={1}>
      This page is for administrators. <Link to="/">Back to the dashboard</Link>
    </EmptyState>
  );
}

export function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { data } = useMe();
  if (!data || !roles.includes(data.role)) return <NoAccess />;
  return <>{children}</>;
}
