import type { ReactNode } from "react";

export function EmptyState({
  icon,
  title,
  children,
  level,
}: {
  icon?: ReactNode;
  title: string;
  children?: ReactNode;
  /** Render the title as a heading (e.g. 1 when the empty state is the whole page). */
  level?: 1 | 2 | 3;
}) {
  const Title = level ? (`h${level}` as const) : "div";
  return (
    <div className="empty">
      {icon && <div className="empty-icon" aria-hidden>{icon}</div>}
      <Title className="empty-title">{title}</Title>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="muted">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, actions, children, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={["card", className ?? ""].join(" ")}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </div>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Badge({ tone = "neutral", children, title }: { tone?: "neutral" | "green" | "red" | "amber" | "blue"; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}
