import { ChevronLeft, ChevronRight } from "lucide-react";
import { Button } from "./Button";

export function Pager({ page, perPage, total, onPage }: { page: number; perPage: number; total: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const from = total === 0 ? 0 : (page - 1) * perPage + 1;
  const to = Math.min(total, page * perPage);
  return (
    <nav className="pager" aria-label="Pagination">
      <span className="muted num">
        {from}–{to} of {total}
      </span>
      <Button size="sm" icon={<ChevronLeft size={14} aria-hidden />} disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page" />
      <span className="num small">
        Page {page} of {pages}
      </span>
      <Button size="sm" icon={<ChevronRight size={14} aria-hidden />} disabled={page >= pages} onClick={() => onPage(page + 1)} aria-label="Next page" />
    </nav>
  );
}
