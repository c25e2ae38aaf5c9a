// The one place that knows the grid engine (Glide Data Grid, canvas). The page talks to it in leads
// terms (columns, rows by index, edits, sort clicks); swapping the engine means rewriting this file only.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  CompactSelection,
  DataEditor,
  GridCellKind,
  type CustomCell,
  type CustomRenderer,
  type DataEditorRef,
  type EditableGridCell,
  type GridCell,
  type GridColumn,
  type GridSelection,
  type Item,
  type NumberCell,
  type ProvideEditorCallbackResult,
  type TextCell,
  type Theme,
} from "@glideapps/glide-data-grid";
import "@glideapps/glide-data-grid/dist/index.css";
import { LEAD_STATUSES, statusLabel, type LeadDto } from "../api";
import { cellText, parseCellInput, type LeadColumn } from "../columns";
import type { SortKey } from "../filterTree";
import { followEnd } from "./followEnd";

export interface GridEdit {
  row: number;
  lead: LeadDto;
  field: string;
  value: unknown;
}

export interface LeadGridProps {
  columns: LeadColumn[];
  widths: Record<string, number>;
  rowCount: number;
  /** `rowCount` is an estimate (the exact count follows): a view at the end then follows it to the new end. */
  rowCountIsEstimate?: boolean;
  getRow: (row: number) => LeadDto | undefined;
  /** Changes whenever rows were loaded or replaced, so the canvas redraws. */
  dataVersion: number;
  readOnly: boolean;
  sort: SortKey[];
  /** Rows drawn with a warning tint (e.g. an edit that conflicts). */
  highlightIds?: ReadonlySet<string>;
  onSort: (col: string, additive: boolean) => void;
  onVisibleRows: (from: number, to: number) => void;
  onEdit: (edits: GridEdit[]) => void;
  onInvalid: (message: string) => void;
  onResize: (col: string, width: number) => void;
  onMove: (colId: string, toIndex: number) => void;
  onSelectRows?: (rows: number[]) => void;
  onActiveRow?: (row: number | null) => void;
  onDeleteRows?: (rows: number[]) => void;
  onOpenRow?: (row: number) => void;
  onUndo?: () => void;
  onRedo?: () => void;
  height: number | string;
  /** Changes when the grid should take the focus back (the drawer closed). */
  focusToken?: number;
}

// ---- custom cells: status (select) and tags ----

interface StatusData {
  kind: "status-cell";
  value: string;
}
interface TagsData {
  kind: "tags-cell";
  tags: string[];
}
type StatusCell = CustomCell<StatusData>;
type TagsCell = CustomCell<TagsData>;

const STATUS_COLORS: Record<string, string> = {
  new: "#5e6964",
  enriched: "#2f5f8f",
  qualified: "#2f7d4f",
  email_drafted: "#7a5aa6",
  contacted: "#2f7d4f",
  replied: "#1f6e8c",
  bounced: "#c0392b",
  not_interested: "#87918c",
  do_not_contact: "#c0392b",
};

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

const statusRenderer: CustomRenderer<StatusCell> = {
  kind: GridCellKind.Custom,
  isMatch: (c): c is StatusCell => (c.data as StatusData | undefined)?.kind === "status-cell",
  draw: (args, cell) => {
    const { ctx, rect, theme } = args;
    const label = statusLabel(cell.data.value);
    ctx.font = `500 12px ${theme.fontFamily}`;
    const w = Math.min(rect.width - 16, ctx.measureText(label).width + 16);
    const x = rect.x + 8;
    const y = rect.y + (rect.height - 20) / 2;
    const color = STATUS_COLORS[cell.data.value] ?? theme.textMedium;
    ctx.fillStyle = color + "22";
    roundRect(ctx, x, y, w, 20, 10);
    ctx.fill();
    ctx.fillStyle = color;
    ctx.textBaseline = "middle";
    ctx.fillText(label, x + 8, y + 10.5, w - 16);
    return true;
  },
  provideEditor: () => (p) => (
    <select
      autoFocus
      className="grid-editor-select"
      aria-label="Status"
      value={p.value.data.value}
      onChange={(e) => p.onFinishedEditing({ ...p.value, data: { ...p.value.data, value: e.target.value }, copyData: e.target.value })}
      onKeyDown={(e) => {
        if (e.key === "Enter") p.onFinishedEditing(p.value, [0, 1]);
      }}
    >
      {LEAD_STATUSES.map((s) => (
        <option key={s} value={s}>
          {statusLabel(s)}
        </option>
      ))}
    </select>
  ),
  onPaste: (val, data) => {
    const v = val.trim().toLowerCase().replace(/\s+/g, "_");
    return (LEAD_STATUSES as readonly string[]).includes(v) ? { ...data, value: v } : undefined;
  },
};

function TagsEditor({ value, onFinishedEditing }: { value: TagsCell; onFinishedEditing: (v?: TagsCell, m?: readonly [-1 | 0 | 1, -1 | 0 | 1]) => void }) {
  const [text, setText] = useState(value.data.tags.join(", "));
  const done = (move?: readonly [-1 | 0 | 1, -1 | 0 | 1]) => {
    const tags = [...new Set(text.split(/[,;]/).map((t) => t.trim()).filter(Boolean))];
    onFinishedEditing({ ...value, data: { kind: "tags-cell", tags }, copyData: tags.join(", ") }, move);
  };
  return (
    <input
      autoFocus
      className="grid-editor-input"
      aria-label="Tags (comma-separated)"
      placeholder="tag, another tag"
      value={text}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          done([0, 1]);
        } else if (e.key === "Tab") {
          e.preventDefault();
          done([e.shiftKey ? -1 : 1, 0]);
        }
      }}
    />
  );
}

const tagsRenderer: CustomRenderer<TagsCell> = {
  kind: GridCellKind.Custom,
  isMatch: (c): c is TagsCell => (c.data as TagsData | undefined)?.kind === "tags-cell",
  draw: (args, cell) => {
    const { ctx, rect, theme } = args;
    ctx.font = `12px ${theme.fontFamily}`;
    ctx.textBaseline = "middle";
    let x = rect.x + 8;
    const y = rect.y + (rect.height - 20) / 2;
    for (const t of cell.data.tags) {
      const w = ctx.measureText(t).width + 14;
      if (x + w > rect.x + rect.width - 4) break;
      ctx.fillStyle = theme.bgBubble;
      roundRect(ctx, x, y, w, 20, 4);
      ctx.fill();
      ctx.fillStyle = theme.textBubble;
      ctx.fillText(t, x + 7, y + 10.5);
      x += w + 4;
    }
    return true;
  },
  provideEditor: () => ({ editor: (p) => <TagsEditor value={p.value} onFinishedEditing={p.onFinishedEditing} />, disablePadding: false }),
  onPaste: (val, data) => ({ ...data, tags: [...new Set(val.split(/[,;]/).map((t) => t.trim()).filter(Boolean))] }),
};

// ---- the checked editor: number, e-mail, URL and username cells ----

/** A cell that carries its column, so the editor knows which rule to check. */
type CheckedCell = (NumberCell | TextCell) & { leadColumn?: LeadColumn };

/** The value an edited cell carries into onCellsEdited: the number, or the text as typed; NaN for "not a number". */
function checkedCell(cell: CheckedCell, col: LeadColumn, text: string): CheckedCell {
  if (cell.kind === GridCellKind.Number) {
    const parsed = parseCellInput(col, text);
    const data = "error" in parsed ? Number.NaN : ((parsed.value as number | null) ?? undefined);
    return { ...cell, data, displayData: text };
  }
  return { ...cell, data: text, displayData: text };
}

/**
 * An input that refuses a value the column cannot take: Enter or Tab with "lots" in Followers keeps the editor
 * open with the reason under it; Escape leaves the old value. Leaving it by a click elsewhere keeps the old value
 * and says why (`onRefused`).
 */
function CheckedEditor({
  col,
  value,
  initialValue,
  onChange,
  onFinishedEditing,
  onRefused,
}: {
  col: LeadColumn;
  value: CheckedCell;
  initialValue?: string;
  onChange: (v: CheckedCell) => void;
  onFinishedEditing: (v?: CheckedCell, m?: readonly [-1 | 0 | 1, -1 | 0 | 1]) => void;
  onRefused: (message: string) => void;
}) {
  const start = initialValue ?? (value.kind === GridCellKind.Number ? (value.data === undefined ? "" : String(value.data)) : value.data);
  const [text, setText] = useState(start);
  const [error, setError] = useState<string | null>(null);
  const state = useRef({ text: start, done: false });
  useEffect(
    () => () => {
      const s = state.current;
      if (s.done) return;
      const parsed = parseCellInput(col, s.text);
      if ("error" in parsed) onRefused(`${col.title}: ${parsed.error} — kept the old value.`);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  const finish = (move: readonly [-1 | 0 | 1, -1 | 0 | 1]) => {
    const parsed = parseCellInput(col, text);
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    state.current.done = true;
    onFinishedEditing(checkedCell(value, col, text), move);
  };
  return (
    <div className="grid-checked-editor">
      <input
        autoFocus
        className="grid-editor-input"
        aria-label={col.title}
        aria-invalid={error ? true : undefined}
        inputMode={col.kind === "number" ? "numeric" : col.kind === "email" ? "email" : undefined}
        value={text}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          state.current.text = t;
          setError(null);
          onChange(checkedCell(value, col, t));
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            state.current.done = true;
            return;
          }
          if (e.key === "Enter" || e.key === "Tab") {
            e.preventDefault();
            e.stopPropagation();
            finish(e.key === "Enter" ? [0, e.shiftKey ? -1 : 1] : [e.shiftKey ? -1 : 1, 0]);
          }
        }}
      />
      {error && (
        <div className="grid-editor-error" role="alert" data-testid="cell-error">
          {error}
        </div>
      )}
    </div>
  );
}

const CUSTOM_RENDERERS = [statusRenderer, tagsRenderer] as unknown as CustomRenderer<CustomCell>[];

// ---- theme from the app's CSS variables (light/dark) ----

function cssVar(name: string, fallback: string): string {
  if (typeof window === "undefined") return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function readTheme(): Partial<Theme> {
  const brand = cssVar("--brand", "#2f7d4f");
  return {
    accentColor: brand,
    accentLight: cssVar("--brand-tint", "#e8f3ec"),
    accentFg: cssVar("--brand-contrast", "#ffffff"),
    textDark: cssVar("--text", "#1d2420"),
    textMedium: cssVar("--text-muted", "#5e6964"),
    textLight: cssVar("--text-faint", "#87918c"),
    textHeader: cssVar("--text-muted", "#5e6964"),
    textHeaderSelected: cssVar("--brand-contrast", "#ffffff"),
    textBubble: cssVar("--text", "#1d2420"),
    bgBubble: cssVar("--surface-2", "#f1f3f2"),
    bgBubbleSelected: cssVar("--brand-tint", "#e8f3ec"),
    bgCell: cssVar("--surface", "#ffffff"),
    bgCellMedium: cssVar("--surface-2", "#f1f3f2"),
    bgHeader: cssVar("--surface-2", "#f1f3f2"),
    bgHeaderHasFocus: cssVar("--border", "#dfe3e1"),
    bgHeaderHovered: cssVar("--border", "#dfe3e1"),
    bgIconHeader: cssVar("--text-muted", "#5e6964"),
    fgIconHeader: cssVar("--surface", "#ffffff"),
    borderColor: cssVar("--border", "#dfe3e1"),
    horizontalBorderColor: cssVar("--border", "#dfe3e1"),
    linkColor: brand,
    fontFamily: cssVar("--font", "Inter, system-ui, sans-serif"),
    baseFontStyle: "13px",
    headerFontStyle: "600 12px",
    markerFontStyle: "11px",
    editorFontSize: "13px",
    cellHorizontalPadding: 8,
  };
}

function useGridTheme(): Partial<Theme> {
  const [theme, setTheme] = useState(readTheme);
  useEffect(() => {
    const update = () => setTheme(readTheme());
    const obs = new MutationObserver(update);
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
    mq?.addEventListener?.("change", update);
    return () => {
      obs.disconnect();
      mq?.removeEventListener?.("change", update);
    };
  }, []);
  return theme;
}

/** Glide renders its overlay editor into `#portal`. */
function usePortal() {
  useEffect(() => {
    if (document.getElementById("portal")) return;
    const el = document.createElement("div");
    el.id = "portal";
    el.style.position = "fixed";
    el.style.left = "0";
    el.style.top = "0";
    el.style.zIndex = "40";
    document.body.appendChild(el);
  }, []);
}

/** Columns whose typed value is checked before it is saved. */
function isChecked(c: LeadColumn): boolean {
  return c.kind === "number" || c.kind === "email" || c.kind === "url" || c.id === "username";
}

const KEYBINDINGS = { search: false, downFill: true } as const;

const EMPTY_SELECTION: GridSelection = { columns: CompactSelection.empty(), rows: CompactSelection.empty() };

export function LeadGrid(props: LeadGridProps): ReactNode {
  const { columns, widths, rowCount, getRow, dataVersion, readOnly, sort, highlightIds } = props;
  const rowCountIsEstimate = props.rowCountIsEstimate ?? false;
  usePortal();
  const theme = useGridTheme();
  const ref = useRef<DataEditorRef>(null);
  const [selection, setSelection] = useState<GridSelection>(EMPTY_SELECTION);
  const cb = useRef(props);
  cb.current = props;

  const gridColumns = useMemo<GridColumn[]>(
    () =>
      columns.map((c) => {
        const si = sort.findIndex((k) => k.col === c.id);
        const arrow = si < 0 ? "" : ` ${sort[si].dir === "asc" ? "▲" : "▼"}${sort.length > 1 ? si + 1 : ""}`;
        return { id: c.id, title: c.title + arrow, width: widths[c.id] ?? c.width };
      }),
    [columns, widths, sort],
  );

  const getCellContent = useCallback(
    ([col, row]: Item): GridCell => {
      const c = columns[col];
      const lead = getRow(row);
      if (!c || !lead) return { kind: GridCellKind.Loading, allowOverlay: false };
      const ro = readOnly || !c.editable;
      const v = lead[c.id];
      switch (c.kind) {
        case "number":
          return {
            kind: GridCellKind.Number,
            data: typeof v === "number" ? v : undefined,
            displayData: typeof v === "number" ? v.toLocaleString() : "",
            allowOverlay: !ro,
            readonly: ro,
            contentAlign: "right",
            leadColumn: c,
          } as CheckedCell;
        case "bool":
          return { kind: GridCellKind.Boolean, data: !!v, allowOverlay: false, readonly: ro };
        case "status":
          return {
            kind: GridCellKind.Custom,
            data: { kind: "status-cell", value: String(v ?? "new") },
            copyData: String(v ?? ""),
            allowOverlay: !ro,
            readonly: ro,
          } as StatusCell;
        case "tags": {
          const tags = Array.isArray(v) ? (v as string[]) : [];
          return {
            kind: GridCellKind.Custom,
            data: { kind: "tags-cell", tags },
            copyData: tags.join(", "),
            allowOverlay: !ro,
            readonly: ro,
          } as TagsCell;
        }
        default: {
          const text = cellText(c, lead);
          return {
            kind: GridCellKind.Text,
            data: c.kind === "date" ? text : String(v ?? ""),
            displayData: text,
            allowOverlay: !ro,
            readonly: ro,
            allowWrapping: false,
            leadColumn: c,
          } as CheckedCell;
        }
      }
    },
    // dataVersion: a new function identity makes the canvas redraw when rows arrive or change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [columns, getRow, readOnly, dataVersion],
  );

  const valueOf = (cell: EditableGridCell | GridCell): unknown => {
    switch (cell.kind) {
      case GridCellKind.Number:
        return cell.data ?? null;
      case GridCellKind.Boolean:
        return cell.data === true;
      case GridCellKind.Custom: {
        const d = cell.data as StatusData | TagsData;
        return d.kind === "status-cell" ? d.value : d.tags;
      }
      case GridCellKind.Text:
        return cell.data;
      default:
        return (cell as { data?: unknown }).data ?? null;
    }
  };

  const onCellsEdited = useCallback(
    (items: readonly { location: Item; value: EditableGridCell }[]) => {
      const edits: GridEdit[] = [];
      const problems: string[] = [];
      for (const { location, value } of items) {
        const [col, row] = location;
        const c = columns[col];
        const lead = getRow(row);
        if (!c || !lead || !c.editable) continue;
        const parsed = parseCellInput(c, valueOf(value));
        if ("error" in parsed) {
          problems.push(`${c.title} of ${lead.username}: ${parsed.error}`);
          continue;
        }
        edits.push({ row, lead, field: c.id, value: parsed.value });
      }
      if (problems.length) cb.current.onInvalid(problems.slice(0, 3).join("; ") + (problems.length > 3 ? ` (+${problems.length - 3} more)` : ""));
      if (edits.length) cb.current.onEdit(edits);
      return true;
    },
    [columns, getRow],
  );

  const validateCell = useCallback(
    ([col]: Item, newValue: EditableGridCell) => {
      const c = columns[col];
      if (!c || !isChecked(c)) return true;
      return !("error" in parseCellInput(c, valueOf(newValue)));
    },
    [columns],
  );

  // Number, e-mail, URL and username cells edit in the checked editor (a bad value is refused in place).
  const provideEditor = useCallback((cell: GridCell): ProvideEditorCallbackResult<GridCell> => {
    const col = (cell as CheckedCell).leadColumn;
    if (!col || !isChecked(col) || (cell.kind !== GridCellKind.Number && cell.kind !== GridCellKind.Text)) return undefined;
    const Editor = (p: {
      value: GridCell;
      initialValue?: string;
      onChange: (v: GridCell) => void;
      onFinishedEditing: (v?: GridCell, m?: readonly [-1 | 0 | 1, -1 | 0 | 1]) => void;
    }) => (
      <CheckedEditor
        col={col}
        value={p.value as CheckedCell}
        initialValue={p.initialValue}
        onChange={p.onChange}
        onFinishedEditing={p.onFinishedEditing}
        onRefused={(m) => cb.current.onInvalid(m)}
      />
    );
    return { editor: Editor, disablePadding: true, disableStyling: true };
  }, []);

  const onSelection = (s: GridSelection) => {
    setSelection(s);
    cb.current.onSelectRows?.(s.rows.toArray());
    cb.current.onActiveRow?.(s.current?.cell[1] ?? null);
  };

  const onKeyDownCapture = (e: React.KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && (e.key === "z" || e.key === "Z")) {
      e.preventDefault();
      e.stopPropagation();
      if (e.shiftKey) cb.current.onRedo?.();
      else cb.current.onUndo?.();
    } else if (mod && (e.key === "y" || e.key === "Y")) {
      e.preventDefault();
      e.stopPropagation();
      cb.current.onRedo?.();
    } else if (e.altKey && e.key === "Enter") {
      const row = selection.current?.cell[1];
      if (row !== undefined) {
        e.preventDefault();
        e.stopPropagation();
        cb.current.onOpenRow?.(row);
      }
    }
  };

  // What the canvas shows, as attributes on the wrapper (for tests and the speed benchmark, which cannot read
  // the canvas): data-first-row/data-last-row are the visible row range, data-rows-loaded is "true" once every
  // row in it has its data (no loading placeholders). Written straight to the DOM so scrolling re-renders nothing.
  // data-rows is the row count, data-rows-estimate "true" while that count is an estimate.
  const wrapper = useRef<HTMLDivElement>(null);
  const visibleRange = useRef<[number, number]>([0, 0]);
  const markVisible = useCallback(() => {
    const el = wrapper.current;
    if (!el) return;
    const [from, to] = visibleRange.current;
    const last = Math.min(to, rowCount) - 1;
    let loaded = last >= from;
    for (let r = from; loaded && r <= last; r++) loaded = getRow(r) !== undefined;
    el.dataset.firstRow = String(from);
    el.dataset.lastRow = String(last);
    el.dataset.rowsLoaded = String(loaded);
  }, [rowCount, getRow]);
  // After the commit that drew new rows (dataVersion), not before.
  useEffect(markVisible, [markVisible, dataVersion]);

  // The exact row count replaced an estimate: a view that was at the end (Ctrl+End, or scrolled to the bottom)
  // moves to the new last row, with the selected cell if it was on the old last row.
  const selectionRef = useRef(selection);
  selectionRef.current = selection;
  const lastCount = useRef({ rows: rowCount, estimate: rowCountIsEstimate });
  useEffect(() => {
    const prev = lastCount.current;
    const next = { rows: rowCount, estimate: rowCountIsEstimate };
    lastCount.current = next;
    const sel = selectionRef.current;
    const cell = sel.current?.cell;
    const move = followEnd(prev, next, visibleRange.current[1], cell?.[1] ?? null);
    if (!move) return;
    const col = cell?.[0] ?? 0;
    if (cell && move.moveSelection) {
      onSelection({
        ...sel,
        current: { cell: [col, move.row], range: { x: col, y: move.row, width: 1, height: 1 }, rangeStack: [] },
      });
    }
    ref.current?.scrollTo(col, move.row, "vertical", 0, 0, { vAlign: "end" });
  }, [rowCount, rowCountIsEstimate]); // eslint-disable-line react-hooks/exhaustive-deps

  // The drawer closed: the focus goes back to the grid, on the cell that was selected.
  useEffect(() => {
    if (props.focusToken) ref.current?.focus();
  }, [props.focusToken]);

  const highlightKey = highlightIds ? [...highlightIds].join(",") : "";
  const getRowThemeOverride = useCallback(
    (row: number): Partial<Theme> | undefined => {
      if (!highlightIds || highlightIds.size === 0) return undefined;
      const lead = getRow(row);
      return lead && highlightIds.has(lead.id) ? { bgCell: cssVar("--amber-tint", "#fff4d6") } : undefined;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [highlightKey, getRow, dataVersion],
  );

  return (
    <div
      ref={wrapper}
      className="lead-grid"
      onKeyDownCapture={onKeyDownCapture}
      data-testid="lead-grid"
      data-rows={rowCount}
      data-rows-estimate={rowCountIsEstimate}
    >
      <DataEditor
        ref={ref}
        columns={gridColumns}
        rows={rowCount}
        getCellContent={getCellContent}
        customRenderers={CUSTOM_RENDERERS}
        onCellsEdited={readOnly ? undefined : onCellsEdited}
        validateCell={validateCell}
        provideEditor={provideEditor}
        getCellsForSelection={true}
        onPaste={!readOnly}
        fillHandle={!readOnly}
        freezeColumns={1}
        rowMarkers={{ kind: "both", width: 48 }}
        rowHeight={32}
        headerHeight={34}
        smoothScrollX
        smoothScrollY
        width="100%"
        height={props.height}
        theme={theme}
        getRowThemeOverride={getRowThemeOverride}
        gridSelection={selection}
        onGridSelectionChange={onSelection}
        rowSelectionMode="multi"
        onHeaderClicked={(col, e) => {
          const c = columns[col];
          if (!c?.sortable) return;
          e.preventDefault();
          cb.current.onSort(c.id, e.shiftKey);
        }}
        onColumnResize={(col, w) => cb.current.onResize(String(col.id), Math.round(w))}
        onColumnMoved={(from, to) => {
          const c = columns[from];
          // The username column stays first (frozen).
          if (!c || from === 0 || to === 0) return;
          cb.current.onMove(c.id, to);
        }}
        onDelete={(sel) => {
          if (readOnly) return false;
          if (sel.rows.length > 0 && cb.current.onDeleteRows) {
            cb.current.onDeleteRows(sel.rows.toArray());
            return false;
          }
          return true;
        }}
        onVisibleRegionChanged={(r) => {
          visibleRange.current = [r.y, r.y + r.height];
          markVisible();
          cb.current.onVisibleRows(r.y, r.y + r.height);
        }}
        // Ctrl+D fills the selection down from its first row (like a spreadsheet); it goes through
        // onCellsEdited like a paste, so it is saved and undone as one step.
        keybindings={KEYBINDINGS}
      />
      {/* Shown by CSS while rows on screen have no data yet (data-rows-loaded="false"): a far jump or a new search. */}
      <div className="grid-loading" role="status" data-testid="grid-loading" aria-live="polite">
        <span className="grid-loading-badge">
          <span className="spinner-dot" aria-hidden />
          Loading rows…
        </span>
      </div>
    </div>
  );
}

export default LeadGrid;
