import { useEffect, useId, useRef, useState, type ReactNode } from "react";

/** A button that opens a panel below it; Escape or a click outside closes it. */
export function Popover({
  label,
  icon,
  children,
  align = "left",
  className,
  buttonClassName,
  ariaLabel,
  badge,
}: {
  label: ReactNode;
  icon?: ReactNode;
  children: ReactNode | ((close: () => void) => ReactNode);
  align?: "left" | "right";
  className?: string;
  buttonClassName?: string;
  ariaLabel?: string;
  badge?: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        ref.current?.querySelector<HTMLButtonElement>("button")?.focus();
      }
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  return (
    <div className={["popover", className ?? ""].join(" ")} ref={ref}>
      <button
        type="button"
        className={["btn btn-sm", open ? "btn-active" : "", buttonClassName ?? ""].join(" ")}
        aria-expanded={open}
        aria-controls={id}
        aria-label={ariaLabel}
        onClick={() => setOpen((o) => !o)}
      >
        {icon}
        {label !== null && label !== "" && <span>{label}</span>}
        {badge}
      </button>
      {open && (
        <div id={id} className={`popover-panel popover-${align}`} role="dialog" aria-label={ariaLabel ?? (typeof label === "string" ? label : undefined)}>
          {typeof children === "function" ? children(() => setOpen(false)) : children}
        </div>
      )}
    </div>
  );
}
