import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Columns3, Download, Eye, Mail, PanelRightOpen, Plus, Redo2, Trash2, Undo2, Upload } from "lucide-react";
import { ApiError } from "../../api/client";
import { downloadFile } from "../../lib/download";
import { adminApi, qk } from "../../api/endpoints";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { useMediaQuery } from "../../shell/useMediaQuery";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Modal } from "../../ui/Modal";
import { PageHeader } from "../../ui/misc";
import { Popover } from "../../ui/Popover";
import { Spinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useConfirm } from "../../ui/ConfirmDialog";
import { useCurrentUser } from "../auth/session";
import { isMissingRoute, leadKeys, leadsApi, viewsApi, type LeadDto, type LeadPatch, type SavedView, type ViewInput } from "./api";
import { COLUMN_BY_ID, COLUMNS, DEFAULT_VISIBLE, parseCellInput, type LeadColumn } from "./columns";
import { BulkEdit, type BulkScope } from "./BulkEdit";
import { ConflictPanel } from "./ConflictPanel";
import { FilterBar } from "./FilterBar";
import { EMPTY_FILTERS, buildFilterTree, filterParam, sortParam, toggleSort, type FilterState, type SortKey } from "./filterTree";
import { BlockCache } from "./grid/blockCache";
import { LeadCards } from "./LeadCards";
import { LeadDrawer } from "./LeadDrawer";
import { useLeadEditing } from "./useLeadEditing";
import { fromParams, toParams } from "./urlState";
import { usePersisted } from "./usePersisted";
import { GenerateDraftsDialog } from "../sessions/GenerateDraftsDialog";
import { useLeadsLiveRefresh } from "../sessions/live";
import "./leads.css";

// The grid engine is heavy (canvas grid + its deps): its own chunk, loaded with this page only.
const LeadGrid = lazy(() => import("./grid/LeadGrid"));
const ImportDialog = lazy(() => import("./ImportDialog"));

export interface ViewState {
  search: string;
  filters: FilterState;
  sort: SortKey[];
  columns: { order: string[]; hidden: string[]; widths: Record<string, number> };
}

export const DEFAULT_STATE: ViewState = {
  search: "",
  filters: EMPTY_FILTERS,
  sort: [{ col: "created_at", dir: "desc" }],
  columns: { order: COLUMNS.map((c) => c.id), hidden: COLUMNS.map((c) => c.id).filter((id) => !DEFAULT_VISIBLE.includes(id)), widths: {} },
};

const BLOCK_SIZES = [50, 100, 200, 500];
const STATE_KEY = "leadgen.leads.state";
const BLOCK_KEY = "leadgen.leads.blockSize";
const VIEW_KEY = "leadgen.leads.view";

function normaliseState(s: Partial<ViewState> | null | undefined): ViewState {
  const cols = { ...DEFAULT_STATE.columns, ...(s?.columns ?? {}) };
  const known = new Set<string>(COLUMNS.map((c) => c.id));
  const order = [...cols.order.filter((id) => known.has(id)), ...COLUMNS.map((c) => c.id).filter((id) => !cols.order.includes(id))];
  // Username is always first (the frozen column).
  const o = ["username", ...order.filter((id) => id !== "username")];
  return {
    search: typeof s?.search === "string" ? s.search : "",
    filters: { ...EMPTY_FILTERS, ...(s?.filters ?? {}), advanced: { ...EMPTY_FILTERS.advanced, ...(s?.filters?.advanced ?? {}) } },
    sort: Array.isArray(s?.sort) ? s!.sort : DEFAULT_STATE.sort,
    columns: { order: o, hidden: (cols.hidden ?? []).filter((id) => id !== "username"), widths: cols.widths ?? {} },
  };
}

/** `?owner=<user id>` (admins): another user's leads, read-only. Your own id means your own leads. */
export function ownerParam(params: URLSearchParams, myId: string): string | null {
  const o = params.get("owner")?.trim();
  return o && o !== myId ? o : null;
}

export default function LeadsPage() {
  const me = useCurrentUser();
  const [params] = useSearchParams();
  const owner = ownerParam(params, me.id);
  // A fresh workspace per owner: rows, selection, open drawer and undo stack never mix between two users.
  return <LeadsWorkspace key={owner ?? ""} owner={owner} />;
}

function LeadsWorkspace({ owner }: { owner: string | null }) {
  const me = useCurrentUser();
  // Viewers read their own leads; admins reading someone else's get the same read-only workspace.
  const readOnly = me.role === "viewer" || owner !== null;
  const toast = useToast();
  const confirm = useConfirm();
  const phone = useMediaQuery("(max-width: 699px)");
  // Searches and filters made while reading another user's leads are kept apart from your own.
  const stateKey = owner ? `${STATE_KEY}.other` : STATE_KEY;
  // The address bar wins over what was remembered: a shared or reloaded link opens the view it names.
  const [params, setParams] = useSearchParams();
  const fromUrl = useRef<ReturnType<typeof fromParams> | undefined>(undefined);
  if (fromUrl.current === undefined) fromUrl.current = fromParams(params, DEFAULT_STATE.sort);
  const [rawState, setRawState] = usePersisted<ViewState>(stateKey, DEFAULT_STATE, fromUrl.current);
  const state = useMemo(() => normaliseState(rawState), [rawState]);
  const setState = useCallback((f: (s: ViewState) => ViewState) => setRawState((prev) => f(normaliseState(prev))), [setRawState]);
  useEffect(() => {
    const want = toParams(state, DEFAULT_STATE.sort);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(want)) {
          if (v) next.set(k, v);
          else next.delete(k);
        }
        return next.toString() === prev.toString() ? prev : next;
      },
      { replace: true },
    );
  }, [state.search, state.filters, state.sort]); // eslint-disable-line react-hooks/exhaustive-deps
  const [blockSize, setBlockSize] = usePersisted<number>(BLOCK_KEY, 100);
  const [viewId, setViewId] = usePersisted<string>(VIEW_KEY, "");
  const [searchText, setSearchText] = useState(state.search);
  const search = useDebounced(searchText, 300);
  useEffect(() => {
    if (search !== state.search) setState((s) => ({ ...s, search }));
  }, [search]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setSearchText(state.search), [state.search]);

  const filter = useDebounced(filterParam(state.filters), 250);
  const sort = sortParam(state.sort);
  const size = BLOCK_SIZES.includes(blockSize) ? blockSize : 100;
  const queryKey = JSON.stringify({ search: state.search, filter, sort, size, owner });

  const cache = useMemo(() => {
    const list = (offset: number, limit: number, signal: AbortSignal) =>
      leadsApi
        .list({ search: state.search || undefined, filter, sort, limit, offset, owner: owner ?? undefined }, signal)
        .then((p) => ({ items: p.items, total: p.total, estimate: p.total_is_estimate }));
    // Above 20,000 matches the first total is an estimate and the server counts exactly in the background; the
    // cache asks again with a one-row page of the same query. Not the first page: for an admin reading another
    // user's leads, a first page is a new read that goes into the audit log.
    return new BlockCache<LeadDto>(list, size, { totalFetcher: (signal) => list(1, 1, signal) });
  }, [queryKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const version = useSyncExternalStore(
    useCallback((fn) => cache.subscribe(fn), [cache]),
    () => cache.version,
  );
  const visible = useRef<[number, number]>([0, size]);
  useEffect(() => {
    void cache.ensure(0, size - 1);
  }, [cache, size]);
  // Rows dropped by a delete come back when they are on screen.
  useEffect(() => {
    if (!cache.error && cache.total !== null) void cache.ensure(visible.current[0], visible.current[1]);
  }, [cache, version]);

  const editing = useLeadEditing(cache, toast);
  const columns: LeadColumn[] = useMemo(
    () => state.columns.order.filter((id) => !state.columns.hidden.includes(id)).map((id) => COLUMN_BY_ID[id]).filter(Boolean),
    [state.columns],
  );
  const [selectedRows, setSelectedRows] = useState<number[]>([]);
  const [activeRow, setActiveRow] = useState<number | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  // Bumped when the drawer closes: the grid takes the focus back (on the cell it had).
  const [gridFocus, setGridFocus] = useState(0);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  // `?import=1` (the dashboard's "Import CSV") opens the import dialog.
  useEffect(() => {
    if (params.get("import") !== "1") return;
    if (!readOnly) setImporting(true);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        next.delete("import");
        return next;
      },
      { replace: true },
    );
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const total = cache.total ?? 0;
  // While one of your sessions runs, the rows and the count follow the leads it adds or updates.
  useLeadsLiveRefresh(() => {
    if (cache.loadedBlocks.length) void cache.refresh();
    else {
      cache.reset(true);
      void cache.ensure(0, size - 1);
    }
  }, !owner);
  const [draftsFor, setDraftsFor] = useState<string[] | null>(null);
  const navigate = useNavigate();
  const getRow = useCallback((i: number) => cache.get(i), [cache]);
  const openLead = openId ? (cache.get(cache.indexOf(openId)) ?? null) : null;
  const drawerLead = useQuery({
    queryKey: openId ? [...leadKeys.one(openId), owner] : ["none"],
    queryFn: () => leadsApi.get(openId!, owner),
    enabled: !!openId && !openLead,
  });
  const shownLead = openLead ?? drawerLead.data ?? null;

  // ---- saved views (when the server has them) ----
  const qc = useQueryClient();
  const views = useQuery({ queryKey: leadKeys.views, queryFn: viewsApi.list, retry: false, staleTime: 60_000 });
  const viewsAvailable = views.isSuccess;
  // First visit (nothing remembered here yet): open the view marked as default, if any (your views are about
  // your own leads, so not when reading someone else's).
  const firstVisit = useRef(!owner && !fromUrl.current && typeof localStorage !== "undefined" && localStorage.getItem(stateKey) === null);
  useEffect(() => {
    if (!firstVisit.current || !views.data) return;
    firstVisit.current = false;
    const def = views.data.find((v) => v.is_default);
    if (def) applyView(def);
  }, [views.data]); // eslint-disable-line react-hooks/exhaustive-deps
  const applyView = (v: SavedView | null) => {
    setViewId(v?.id ?? "");
    setState(() => normaliseState(v ? (v.state as Partial<ViewState>) : DEFAULT_STATE));
  };
  const saveView = useMutation({
    mutationFn: async ({ name, id, is_default }: { name: string; id?: string; is_default?: boolean }) => {
      const body: ViewInput = { name, state: state as unknown as ViewInput["state"], ...(is_default !== undefined ? { is_default } : {}) };
      return id ? viewsApi.update(id, body) : viewsApi.create(body);
    },
    onSuccess: (v) => {
      setViewId(v.id);
      void qc.invalidateQueries({ queryKey: leadKeys.views });
      toast.success(`View "${v.name}" saved.`);
    },
    onError: (e) => toast.error(e),
  });
  const [namingView, setNamingView] = useState(false);

  const onSort = useCallback((col: string, additive: boolean) => setState((s) => ({ ...s, sort: toggleSort(s.sort, col, additive) })), [setState]);
  const selectedLeads = (): LeadDto[] => {
    const rows = selectedRows.length ? selectedRows : activeRow !== null ? [activeRow] : [];
    return rows.map((r) => cache.get(r)).filter((l): l is LeadDto => !!l);
  };
  const deleteSelected = async () => {
    const leads = selectedLeads();
    if (!leads.length) return;
    if (leads.length > 1 && !(await confirm({ title: `Delete ${leads.length} leads?`, message: "You can undo this right after.", confirmLabel: "Delete" }))) return;
    await editing.remove(leads);
    setSelectedRows([]);
  };

  const bulkApply = async (scope: BulkScope, field: string, value: unknown) => {
    const patch = { [field]: value } as LeadPatch;
    const ids = scope === "selected" ? selectedLeads().map((l) => l.id) : undefined;
    try {
      const r = await leadsApi.bulk(
        ids ? { ids, patch } : { search: state.search || undefined, filter: buildFilterTree(state.filters) ?? undefined, patch },
      );
      toast.success(`Changed ${r.affected.toLocaleString()} lead${r.affected === 1 ? "" : "s"}.`);
      editing.noteServerBatch(`the change of ${COLUMN_BY_ID[field]?.title ?? field} on ${r.affected === 1 ? "1 lead" : `${r.affected.toLocaleString()} leads`}`);
      await cache.refresh();
    } catch (e) {
      if (!isMissingRoute(e)) return toast.error(e);
      // No bulk endpoint: one PATCH per loaded row (selected rows, or the loaded matching rows).
      const leads = ids ? selectedLeads() : loadedRows;
      await editing.saveEdits(leads.map((lead) => ({ lead, field, value })));
      toast.success(`Changed ${leads.length} lead${leads.length === 1 ? "" : "s"}.`);
    }
  };

  const exportCsv = async (choice: ExportChoice) => {
    // The server writes the file (the whole result, not only the loaded rows) and names it after the view and
    // the day; `owner` for another user's leads.
    const url = leadsApi.exportUrl({
      search: state.search || undefined,
      filter,
      sort,
      columns: choice.columns === "all" ? "all" : columns.map((c) => c.id),
      owner: owner ?? undefined,
      format: choice.format,
      view: views.data?.find((v) => v.id === viewId)?.name,
    });
    const name = await downloadFile(url, "leads.csv");
    toast.success(`Exported ${name}.`);
  };

  const gridHost = useRef<HTMLDivElement>(null);
  const [gridHeight, setGridHeight] = useState(500);
  useEffect(() => {
    const el = gridHost.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setGridHeight(Math.max(240, Math.floor(el.getBoundingClientRect().height))));
    ro.observe(el);
    return () => ro.disconnect();
  }, [phone]);

  // Ctrl+Z / Ctrl+Shift+Z also work when the focus is on the page rather than in the grid (not in a field).
  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.defaultPrevented) return;
      const k = e.key.toLowerCase();
      if (k !== "z" && k !== "y") return;
      const t = e.target as HTMLElement | null;
      if (t?.closest("input, textarea, select, [contenteditable], .modal, .lead-drawer, #portal, .lead-grid")) return;
      e.preventDefault();
      if (k === "y" || e.shiftKey) void editing.redo();
      else void editing.undo();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [readOnly, editing.undo, editing.redo]); // eslint-disable-line react-hooks/exhaustive-deps

  const highlight = useMemo(() => new Set(editing.conflicts.map((c) => c.id)), [editing.conflicts]);
  const loadedRows = useMemo(() => {
    const out: LeadDto[] = [];
    for (let i = 0; i < total; i++) {
      const r = cache.get(i);
      if (!r) break;
      out.push(r);
    }
    return out;
  }, [cache, version, total]); // eslint-disable-line react-hooks/exhaustive-deps

  const err = cache.error;
  const estimate = cache.totalIsEstimate;
  // While the server is still counting, say so rather than show a number that is about to change; if it gave up,
  // say what is known ("more than 20,000").
  const countText = leadCountText(cache.total, estimate, cache.isPollingTotal);

  return (
    <div className="leads-page">
      <PageHeader
        title="Leads"
        description={
          <span className="row gap">
            <span data-testid="lead-count" data-estimate={estimate} title={estimate ? `At least ${total.toLocaleString()}; counting the exact number…` : undefined}>
              {countText}
            </span>
            {(cache.isLoading || editing.saving) && <Spinner size={12} label={editing.saving ? "Saving" : "Loading"} />}
          </span>
        }
        actions={
          <div className="row gap leads-actions">
            {viewsAvailable && (
              <ViewsMenu
                views={views.data ?? []}
                viewId={viewId}
                onPick={applyView}
                onSaveNew={() => setNamingView(true)}
                onUpdate={(v) => saveView.mutate({ id: v.id, name: v.name })}
                onMakeDefault={(v) => saveView.mutate({ id: v.id, name: v.name, is_default: true })}
                onDelete={async (v) => {
                  await viewsApi.remove(v.id).catch((e) => toast.error(e));
                  if (v.id === viewId) setViewId("");
                  void qc.invalidateQueries({ queryKey: leadKeys.views });
                }}
              />
            )}
            <ExportMenu onExport={(c) => exportCsv(c).catch((e) => toast.error(e))} />
            {!readOnly && (
              <>
                <Button size="sm" icon={<Upload size={14} aria-hidden />} onClick={() => setImporting(true)}>
                  Import CSV
                </Button>
                <Button size="sm" variant="primary" icon={<Plus size={14} aria-hidden />} onClick={() => setCreating(true)}>
                  New lead
                </Button>
              </>
            )}
          </div>
        }
      />
      {owner && <OwnerBanner owner={owner} />}
      <FilterBar
        search={searchText}
        onSearch={setSearchText}
        filters={state.filters}
        onFilters={(f) => setState((s) => ({ ...s, filters: f }))}
      />
      <div className="grid-toolbar" role="toolbar" aria-label="Grid tools">
        {!readOnly && (
          <>
            <Button size="sm" icon={<Undo2 size={14} aria-hidden />} onClick={() => void editing.undo()} disabled={!editing.canUndo} title={editing.undoLabel ? `Undo ${editing.undoLabel} (Ctrl+Z)` : "Nothing to undo"} aria-label="Undo">
              {phone ? undefined : "Undo"}
            </Button>
            <Button size="sm" icon={<Redo2 size={14} aria-hidden />} onClick={() => void editing.redo()} disabled={!editing.canRedo} title={editing.redoLabel ? `Redo ${editing.redoLabel} (Ctrl+Shift+Z)` : "Nothing to redo"} aria-label="Redo">
              {phone ? undefined : "Redo"}
            </Button>
            {!phone && (
              <Button
                size="sm"
                variant="danger"
                icon={<Trash2 size={14} aria-hidden />}
                disabled={!selectedRows.length && activeRow === null}
                onClick={() => void deleteSelected()}
              >
                {selectedRows.length > 1 ? `Delete ${selectedRows.length} rows` : "Delete row"}
              </Button>
            )}
          </>
        )}
        {!phone && !readOnly && (
          <Button
            size="sm"
            icon={<Mail size={14} aria-hidden />}
            disabled={!selectedRows.length && activeRow === null}
            onClick={() => setDraftsFor(selectedLeads().map((l) => l.id))}
            title="Write an e-mail draft for each selected lead (reviewed before sending)"
          >
            Generate drafts
          </Button>
        )}
        {!phone && !readOnly && <BulkEdit selected={selectedRows.length} matching={total} matchingIsEstimate={estimate} onApply={bulkApply} />}
        {!phone && (
          <Button
            size="sm"
            icon={<PanelRightOpen size={14} aria-hidden />}
            disabled={activeRow === null || !cache.get(activeRow)}
            onClick={() => activeRow !== null && setOpenId(cache.get(activeRow)?.id ?? null)}
            title="Details (Alt+Enter)"
          >
            Details
          </Button>
        )}
        <span className="toolbar-spacer" />
        {!phone && <SortMenu sort={state.sort} onChange={(sort) => setState((s) => ({ ...s, sort }))} />}
        {!phone && (
          <Popover label="Columns" icon={<Columns3 size={14} aria-hidden />} align="right" ariaLabel="Columns">
            <fieldset className="check-list">
              <legend className="small muted">Show columns</legend>
              {state.columns.order.map((id) => (
                <label key={id} className="check-row">
                  <input
                    type="checkbox"
                    disabled={id === "username"}
                    checked={!state.columns.hidden.includes(id)}
                    onChange={(e) =>
                      setState((s) => ({
                        ...s,
                        columns: {
                          ...s.columns,
                          hidden: e.target.checked ? s.columns.hidden.filter((h) => h !== id) : [...s.columns.hidden, id],
                        },
                      }))
                    }
                  />
                  {COLUMN_BY_ID[id]?.title ?? id}
                </label>
              ))}
              <button type="button" className="link-btn small" onClick={() => setState((s) => ({ ...s, columns: DEFAULT_STATE.columns }))}>
                Reset columns
              </button>
            </fieldset>
          </Popover>
        )}
        <label className="row gap small muted">
          Rows per block
          <select className="input input-sm" aria-label="Rows per block" value={size} onChange={(e) => setBlockSize(Number(e.target.value))}>
            {BLOCK_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ConflictPanel conflicts={editing.conflicts} onKeepMine={(c) => void editing.keepMine(c)} onTakeTheirs={editing.takeTheirs} />
      {err ? (
        <FormError message={errorMessage(err) + (err instanceof ApiError && err.status === 422 ? " — adjust the filters." : "")} />
      ) : null}
      {phone ? (
        <LeadCards
          rows={loadedRows}
          total={total}
          loading={cache.isLoading}
          onMore={() => void cache.ensure(loadedRows.length, loadedRows.length + size - 1)}
          onOpen={(l) => setOpenId(l.id)}
        />
      ) : (
        <div className="grid-host" ref={gridHost}>
          {cache.total === 0 && !cache.isLoading ? (
            <div className="grid-empty">
              <strong>No leads match.</strong>{" "}
              {state.search || filter ? "Change the search or remove a filter." : readOnly ? "Nothing here yet." : "Add a lead or import a CSV."}
            </div>
          ) : (
            <Suspense fallback={<Spinner label="Loading the grid" />}>
              <LeadGrid
                columns={columns}
                widths={state.columns.widths}
                rowCount={total}
                rowCountIsEstimate={estimate}
                getRow={getRow}
                dataVersion={version}
                readOnly={readOnly}
                sort={state.sort}
                highlightIds={highlight}
                height={gridHeight}
                focusToken={gridFocus}
                onSort={onSort}
                onVisibleRows={(from, to) => {
                  visible.current = [from, to];
                  void cache.ensure(from, to);
                }}
                onEdit={(edits) => void editing.saveEdits(edits)}
                onInvalid={(m) => toast.error(m)}
                onResize={(col, w) => setState((s) => ({ ...s, columns: { ...s.columns, widths: { ...s.columns.widths, [col]: w } } }))}
                onMove={(colId, toIndex) =>
                  setState((s) => {
                    const vis = s.columns.order.filter((id) => !s.columns.hidden.includes(id));
                    const target = vis[toIndex];
                    const order = s.columns.order.filter((id) => id !== colId);
                    const at = order.indexOf(target);
                    const from = s.columns.order.indexOf(colId);
                    order.splice(at < 0 ? order.length : from < s.columns.order.indexOf(target) ? at + 1 : at, 0, colId);
                    return { ...s, columns: { ...s.columns, order } };
                  })
                }
                onSelectRows={setSelectedRows}
                onActiveRow={setActiveRow}
                onDeleteRows={
                  readOnly
                    ? undefined
                    : (rows) => {
                        const leads = rows.map((r) => cache.get(r)).filter((l): l is LeadDto => !!l);
                        void editing.remove(leads);
                      }
                }
                onOpenRow={(r) => setOpenId(cache.get(r)?.id ?? null)}
                // Read-only: Ctrl+Z in the grid must not undo your own last change behind the scenes.
                onUndo={readOnly ? undefined : () => void editing.undo()}
                onRedo={readOnly ? undefined : () => void editing.redo()}
              />
            </Suspense>
          )}
        </div>
      )}
      {shownLead && (
        <LeadDrawer
          lead={shownLead}
          readOnly={readOnly}
          owner={owner}
          conflict={editing.conflicts.find((c) => c.id === shownLead.id)}
          onKeepMine={(c) => void editing.keepMine(c)}
          onTakeTheirs={editing.takeTheirs}
          onClose={() => {
            setOpenId(null);
            setGridFocus((n) => n + 1);
          }}
          onSave={async (patch: LeadPatch) => {
            const edits = Object.entries(patch).map(([field, value]) => ({ lead: shownLead, field, value }));
            await editing.saveEdits(edits);
            void qc.invalidateQueries({ queryKey: leadKeys.one(shownLead.id) });
            return true;
          }}
          onDelete={() => {
            void editing.remove([shownLead]);
            setOpenId(null);
            setGridFocus((n) => n + 1);
          }}
        />
      )}
      {creating && (
        <NewLeadDialog
          onClose={() => setCreating(false)}
          onCreated={(l) => {
            setCreating(false);
            toast.success(`Added ${l.username}.`);
            cache.reset(true);
            void cache.ensure(0, size - 1);
          }}
        />
      )}
      {importing && (
        <Suspense fallback={null}>
          <ImportDialog
            onClose={() => setImporting(false)}
            onDone={() => {
              cache.reset(true);
              void cache.ensure(0, size - 1);
            }}
          />
        </Suspense>
      )}
      {draftsFor && (
        <GenerateDraftsDialog
          leadIds={draftsFor}
          onClose={() => setDraftsFor(null)}
          onStarted={(s) => {
            setDraftsFor(null);
            toast.action(`Writing ${draftsFor.length === 1 ? "1 draft" : `${draftsFor.length.toLocaleString()} drafts`} in the background.`, {
              label: "Follow it",
              onClick: () => navigate(`/sessions/${s.id}`),
            });
          }}
        />
      )}
      {namingView && (
        <NameViewDialog
          onClose={() => setNamingView(false)}
          onSave={(name) => {
            setNamingView(false);
            saveView.mutate({ name });
          }}
        />
      )}
    </div>
  );
}

/** Shown while an admin reads another user's leads: whose they are, that nothing can be changed, the way back. */
function OwnerBanner({ owner }: { owner: string }) {
  const me = useCurrentUser();
  const user = useQuery({
    queryKey: qk.adminUser(owner),
    queryFn: () => adminApi.user(owner),
    enabled: me.role === "admin",
    staleTime: 60_000,
    retry: false,
  });
  const who = user.data?.username ?? (user.isPending && me.role === "admin" ? "…" : "another user");
  return (
    <div className="notice owner-banner" role="status" data-testid="owner-banner">
      <Eye size={16} aria-hidden />
      <span>
        Viewing <strong>{who}</strong>'s leads — read-only
      </span>
      <span className="owner-banner-links">
        <Link to="/leads">Back to my leads</Link>
        {me.role === "admin" && <Link to="/admin/users">Users</Link>}
      </span>
    </div>
  );
}

function SortMenu({ sort, onChange }: { sort: SortKey[]; onChange: (s: SortKey[]) => void }) {
  const sortable = COLUMNS.filter((c) => c.sortable);
  return (
    <Popover label={sort.length ? `Sort (${sort.length})` : "Sort"} align="right" ariaLabel="Sort">
      <div className="sort-menu">
        <p className="small muted">Click a column header to sort; shift-click adds a column.</p>
        {sort.map((k, i) => (
          <div key={k.col} className="row gap">
            <select
              className="input input-sm"
              aria-label={`Sort column ${i + 1}`}
              value={k.col}
              onChange={(e) => onChange(sort.map((x, j) => (j === i ? { ...x, col: e.target.value } : x)))}
            >
              {sortable.map((c) => (
                <option key={c.id} value={c.id} disabled={c.id !== k.col && sort.some((x) => x.col === c.id)}>
                  {c.title}
                </option>
              ))}
            </select>
            <select
              className="input input-sm"
              aria-label={`Sort direction ${i + 1}`}
              value={k.dir}
              onChange={(e) => onChange(sort.map((x, j) => (j === i ? { ...x, dir: e.target.value as "asc" | "desc" } : x)))}
            >
              <option value="asc">ascending</option>
              <option value="desc">descending</option>
            </select>
            <button type="button" className="icon-btn" aria-label={`Remove sort ${i + 1}`} onClick={() => onChange(sort.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        ))}
        {sort.length < 4 && (
          <select
            className="input input-sm"
            aria-label="Add sort column"
            value=""
            onChange={(e) => e.target.value && onChange([...sort, { col: e.target.value, dir: "asc" }])}
          >
            <option value="">Add a sort column…</option>
            {sortable
              .filter((c) => !sort.some((k) => k.col === c.id))
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                </option>
              ))}
          </select>
        )}
      </div>
    </Popover>
  );
}

function ViewsMenu({
  views,
  viewId,
  onPick,
  onSaveNew,
  onUpdate,
  onMakeDefault,
  onDelete,
}: {
  views: SavedView[];
  viewId: string;
  onPick: (v: SavedView | null) => void;
  onSaveNew: () => void;
  onUpdate: (v: SavedView) => void;
  onMakeDefault: (v: SavedView) => void;
  onDelete: (v: SavedView) => void;
}) {
  const current = views.find((v) => v.id === viewId) ?? null;
  return (
    <Popover label={current ? `View: ${current.name}` : "Views"} ariaLabel="Saved views" align="right">
      {(close) => (
        <div className="views-menu">
          <ul className="plain-list">
            <li>
              <button type="button" className={`menu-item ${!current ? "active" : ""}`} onClick={() => (onPick(null), close())}>
                Default (all leads)
              </button>
            </li>
            {views.map((v) => (
              <li key={v.id} className="row">
                <button type="button" className={`menu-item ${v.id === viewId ? "active" : ""}`} onClick={() => (onPick(v), close())}>
                  {v.name}
                  {v.is_default && <span className="small muted"> · default</span>}
                </button>
                <button type="button" className="icon-btn" aria-label={`Delete view ${v.name}`} onClick={() => onDelete(v)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          <div className="row gap">
            {current && (
              <Button size="sm" onClick={() => (onUpdate(current), close())}>
                Update "{current.name}"
              </Button>
            )}
            {current && !current.is_default && (
              <Button size="sm" onClick={() => (onMakeDefault(current), close())}>
                Make default
              </Button>
            )}
            <Button size="sm" variant="primary" onClick={() => (onSaveNew(), close())}>
              Save as new view…
            </Button>
          </div>
        </div>
      )}
    </Popover>
  );
}

function NameViewDialog({ onClose, onSave }: { onClose: () => void; onSave: (name: string) => void }) {
  const [name, setName] = useState("");
  return (
    <Modal
      title="Save view"
      onClose={onClose}
      width={400}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="name-view" disabled={!name.trim()}>
            Save view
          </Button>
        </>
      }
    >
      <form
        id="name-view"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) onSave(name.trim());
        }}
      >
        <TextField label="View name" value={name} onChange={(e) => setName(e.target.value)} autoFocus hint="Saves the search, filters, sort and columns." />
      </form>
    </Modal>
  );
}

/** The New-lead form's fields, checked by the grid's rules (`parseCellInput`): every field says what is wrong. */
const NEW_LEAD_FIELDS = ["username", "full_name", "email", "followers"] as const;
type NewLeadForm = Record<(typeof NEW_LEAD_FIELDS)[number], string>;

export function checkNewLead(form: NewLeadForm): { body: Record<string, unknown> } | { errors: Record<string, string[]> } {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const f of NEW_LEAD_FIELDS) {
    const r = parseCellInput(COLUMN_BY_ID[f], form[f]);
    if ("error" in r) errors[f] = [r.error];
    else body[f] = r.value;
  }
  return Object.keys(errors).length ? { errors } : { body };
}

function NewLeadDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (l: LeadDto) => void }) {
  const [form, setForm] = useState<NewLeadForm>({ username: "", full_name: "", email: "", followers: "" });
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => leadsApi.create(body as Parameters<typeof leadsApi.create>[0]),
    onSuccess: onCreated,
  });
  const server = fieldErrors(create.error);
  const fe: Record<string, string[]> = { ...server, ...local };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = checkNewLead(form);
    if ("errors" in r) {
      setLocal(r.errors);
      return;
    }
    setLocal({});
    create.mutate(r.body);
  };
  const set = (f: keyof NewLeadForm, v: string) => {
    setForm({ ...form, [f]: v });
    if (local[f]) setLocal(({ [f]: _gone, ...rest }) => rest);
  };
  const generic = create.error && !Object.keys(server).length ? errorMessage(create.error) : null;
  return (
    <Modal
      title="New lead"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="new-lead" loading={create.isPending}>
            Add lead
          </Button>
        </>
      }
    >
      <form id="new-lead" className="stack" onSubmit={submit} noValidate>
        <FormError message={generic} />
        <TextField label="Instagram username" required value={form.username} onChange={(e) => set("username", e.target.value)} errors={fe.username} autoFocus />
        <TextField label="Full name" value={form.full_name} onChange={(e) => set("full_name", e.target.value)} errors={fe.full_name} />
        <TextField label="Email" type="email" value={form.email} onChange={(e) => set("email", e.target.value)} errors={fe.email} />
        <TextField label="Followers" inputMode="numeric" value={form.followers} onChange={(e) => set("followers", e.target.value)} errors={fe.followers} />
      </form>
    </Modal>
  );
}

/** The total above the grid: "counting…" while the server counts, "more than N leads" if it stopped counting. */
export function leadCountText(total: number | null, estimate: boolean, counting: boolean): string {
  if (total === null) return "";
  if (estimate) return counting ? "counting…" : `more than ${Math.max(0, total - 1).toLocaleString()} leads`;
  return `${total.toLocaleString()} lead${total === 1 ? "" : "s"}`;
}

export interface ExportChoice {
  columns: "visible" | "all";
  format: "csv" | "excel";
}

/** Export: the visible columns or all of them, as plain CSV or for Excel (UTF-8 with BOM, `;`). */
function ExportMenu({ onExport }: { onExport: (c: ExportChoice) => Promise<unknown> }) {
  const [choice, setChoice] = usePersisted<ExportChoice>("leadgen.leads.export", { columns: "visible", format: "csv" });
  const [busy, setBusy] = useState(false);
  return (
    <Popover label="Export" icon={<Download size={14} aria-hidden />} align="right" ariaLabel="Export">
      {(close) => (
        <div className="export-menu stack">
          <fieldset className="check-list">
            <legend className="small muted">Columns</legend>
            <label className="check-row">
              <input type="radio" name="export-columns" checked={choice.columns === "visible"} onChange={() => setChoice({ ...choice, columns: "visible" })} />
              The visible columns, in their order
            </label>
            <label className="check-row">
              <input type="radio" name="export-columns" checked={choice.columns === "all"} onChange={() => setChoice({ ...choice, columns: "all" })} />
              All columns
            </label>
          </fieldset>
          <fieldset className="check-list">
            <legend className="small muted">Format</legend>
            <label className="check-row">
              <input type="radio" name="export-format" checked={choice.format === "excel"} onChange={() => setChoice({ ...choice, format: "excel" })} />
              Excel (semicolons, umlauts kept)
            </label>
            <label className="check-row">
              <input type="radio" name="export-format" checked={choice.format === "csv"} onChange={() => setChoice({ ...choice, format: "csv" })} />
              CSV (commas, UTF-8)
            </label>
          </fieldset>
          <Button
            size="sm"
            variant="primary"
            icon={<Download size={14} aria-hidden />}
            loading={busy}
            onClick={async () => {
              setBusy(true);
              await onExport(choice);
              setBusy(false);
              close();
            }}
          >
            Download
          </Button>
        </div>
      )}
    </Popover>
  );
}
