// Saving edits (PATCH with If-Match per row), conflicts (409 → keep mine / take theirs), delete with undo,
// and undo/redo: the server's /leads/undo and /leads/redo when it has them, otherwise a local stack of our
// own PATCHes that are reverted with PATCH.
import { useCallback, useRef, useState } from "react";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { conflictCurrent, isMissingRoute, leadsApi, patchLead, type LeadDto, type LeadPatch } from "./api";
import { COLUMNS } from "./columns";
import type { BlockCache } from "./grid/blockCache";

export interface Conflict {
  id: string;
  username: string;
  mine: LeadPatch;
  current: LeadDto;
}

// `batches`: how many server-side history batches the step made (one per PATCHed row, one per bulk call),
// so a server undo of a multi-row paste reverts all of it.
// `label`: what the step did, in the words of the toast ("Undid Followers of anna.").
type UndoEntry =
  | { kind: "patch"; changes: Array<{ id: string; before: LeadPatch; after: LeadPatch }>; batches: number; label: string }
  | { kind: "delete"; ids: string[]; batches: number; label: string };

const FIELD_TITLES: Record<string, string> = Object.fromEntries(COLUMNS.map((c) => [c.id, c.title]));

/** "Followers of anna", "Status of 3 leads", "changes to 2 leads". */
export function editLabel(changes: Array<{ username: string; fields: string[] }>): string {
  const fields = [...new Set(changes.flatMap((c) => c.fields))];
  const who = changes.length === 1 ? changes[0].username : `${changes.length} leads`;
  if (fields.length === 1) return `${FIELD_TITLES[fields[0]] ?? fields[0]} of ${who}`;
  return `changes to ${who}`;
}

/** "the delete of anna", "the delete of 3 leads". */
export function deleteLabel(usernames: string[]): string {
  return `the delete of ${usernames.length === 1 ? usernames[0] : `${usernames.length} leads`}`;
}

interface Toaster {
  success: (m: string) => void;
  error: (e: unknown) => void;
  info: (m: string) => void;
  action: (m: string, a: { label: string; onClick: () => void }) => void;
}

/** The row from a 409 answer, in LeadDto shape (timestamps as UTC, no extra keys). */
export function normaliseLead(raw: LeadDto): LeadDto {
  const out = { ...raw } as LeadDto & { owner_id?: unknown };
  delete out.owner_id;
  for (const k of ["created_at", "updated_at", "enriched_at", "contacted_at", "deleted_at"] as const) {
    const v = out[k];
    if (typeof v === "string" && !/(Z|[+-]\d\d:?\d\d)$/.test(v)) (out as unknown as Record<string, string>)[k] = v + "Z";
  }
  return out;
}

export function useLeadEditing(cache: BlockCache<LeadDto>, toast: Toaster) {
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const undoStack = useRef<UndoEntry[]>([]);
  const redoStack = useRef<UndoEntry[]>([]);
  const serverUndo = useRef<boolean | null>(null);
  const [, force] = useState(0);
  const bump = () => force((n) => n + 1);
  const [saving, setSaving] = useState(0);

  const addConflict = useCallback((c: Conflict) => {
    setConflicts((cs) => {
      const rest = cs.filter((x) => x.id !== c.id);
      const prev = cs.find((x) => x.id === c.id);
      return [...rest, prev ? { ...c, mine: { ...prev.mine, ...c.mine } } : c];
    });
  }, []);

  /** PATCH one lead; returns the new row, or null on failure (conflicts are recorded, errors toasted). */
  const saveOne = useCallback(
    async (lead: LeadDto, patch: LeadPatch): Promise<LeadDto | null> => {
      setSaving((n) => n + 1);
      try {
        const updated = await patchLead(lead.id, lead.version, patch);
        cache.replace(updated);
        return updated;
      } catch (e) {
        const current = conflictCurrent(e);
        if (current) {
          const cur = normaliseLead(current);
          addConflict({ id: lead.id, username: lead.username, mine: patch, current: cur });
        } else {
          toast.error(e instanceof ApiError && e.status === 422 ? `${lead.username}: ${errorMessage(e)}` : e);
        }
        return null;
      } finally {
        setSaving((n) => n - 1);
      }
    },
    [cache, addConflict, toast],
  );

  /** Saves edits grouped per lead, and records them for undo. */
  const saveNow = useCallback(
    async (edits: Array<{ lead: LeadDto; field: string; value: unknown }>) => {
      const byId = new Map<string, { lead: LeadDto; patch: Record<string, unknown>; before: Record<string, unknown> }>();
      for (const e of edits) {
        const cur = cache.get(cache.indexOf(e.lead.id)) ?? e.lead;
        const old = (cur as unknown as Record<string, unknown>)[e.field] ?? null;
        if (JSON.stringify(old) === JSON.stringify(e.value ?? null)) continue;
        const entry = byId.get(cur.id) ?? { lead: cur, patch: {}, before: {} };
        entry.patch[e.field] = e.value;
        entry.before[e.field] = old;
        byId.set(cur.id, entry);
      }
      if (byId.size === 0) return;
      const done: Array<{ id: string; before: LeadPatch; after: LeadPatch }> = [];
      const what: Array<{ username: string; fields: string[] }> = [];
      await Promise.all(
        [...byId.values()].map(async ({ lead, patch, before }) => {
          const r = await saveOne(lead, patch as LeadPatch);
          if (r) {
            done.push({ id: lead.id, before: before as LeadPatch, after: patch as LeadPatch });
            what.push({ username: lead.username, fields: Object.keys(patch) });
          }
        }),
      );
      if (done.length) {
        undoStack.current.push({ kind: "patch", changes: done, batches: done.length, label: editLabel(what) });
        redoStack.current = [];
        bump();
      }
    },
    [cache, saveOne],
  );

  // The edit being saved, if any: undo and redo wait for it, so a Ctrl+Z pressed while a paste or fill is still
  // being written undoes that whole step (its undo entry is only known once every row answered).
  const inFlight = useRef<Promise<void>>(Promise.resolve());

  /** Saves edits after any still being written (see `inFlight`). */
  const saveEdits = useCallback(
    (edits: Array<{ lead: LeadDto; field: string; value: unknown }>) => {
      const run = inFlight.current.then(() => saveNow(edits));
      inFlight.current = run.catch(() => undefined);
      return run;
    },
    [saveNow],
  );

  const current = async (id: string): Promise<LeadDto> => {
    const i = cache.indexOf(id);
    return (i >= 0 ? cache.get(i) : undefined) ?? (await leadsApi.get(id));
  };

  const applyLocal = async (entry: UndoEntry, direction: "undo" | "redo"): Promise<boolean> => {
    if (entry.kind === "patch") {
      let ok = true;
      for (const ch of entry.changes) {
        const lead = await current(ch.id);
        const r = await saveOne(lead, direction === "undo" ? ch.before : ch.after);
        if (!r) ok = false;
      }
      return ok;
    }
    try {
      for (const id of entry.ids) {
        if (direction === "undo") await leadsApi.restore(id);
        else await leadsApi.remove(id);
      }
    } catch (e) {
      toast.error(e);
      return false;
    }
    await cache.refresh();
    return true;
  };

  const server = async (direction: "undo" | "redo", times: number, label: string): Promise<"done" | "empty" | "missing"> => {
    if (serverUndo.current === false) return "missing";
    try {
      let affected = 0;
      let skipped = 0;
      for (let i = 0; i < Math.max(1, times); i++) {
        const r = direction === "undo" ? await leadsApi.undo() : await leadsApi.redo();
        affected += r.affected;
        skipped += r.skipped ?? 0;
      }
      serverUndo.current = true;
      await cache.refresh();
      const what = `${direction === "undo" ? "Undid" : "Redid"} ${label || (affected === 1 ? "1 change" : `${affected} changes`)}`;
      toast.success(skipped ? `${what}; ${skipped} lead${skipped === 1 ? " was" : "s were"} changed by someone else meanwhile and left as is.` : `${what}.`);
      return "done";
    } catch (e) {
      if (isMissingRoute(e)) {
        serverUndo.current = false;
        return "missing";
      }
      if (e instanceof ApiError && e.status === 409) {
        serverUndo.current = true;
        return "empty";
      }
      toast.error(e);
      return "done";
    }
  };

  // Nothing of ours to undo: the buttons are disabled, and Ctrl+Z does nothing (no toast).
  const undo = useCallback(async () => {
    await inFlight.current;
    const top = undoStack.current[undoStack.current.length - 1];
    if (!top) return;
    const s = await server("undo", top.batches, top.label);
    if (s === "done") {
      redoStack.current.push(undoStack.current.pop()!);
      bump();
      return;
    }
    if (s === "empty") {
      undoStack.current = [];
      bump();
      return;
    }
    const entry = undoStack.current.pop()!;
    if (await applyLocal(entry, "undo")) {
      redoStack.current.push(entry);
      toast.success(`Undid ${entry.label}.`);
    }
    bump();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cache, saveOne]);

  const redo = useCallback(async () => {
    await inFlight.current;
    const top = redoStack.current[redoStack.current.length - 1];
    if (!top) return;
    const s = await server("redo", top.batches, top.label);
    if (s === "done") {
      undoStack.current.push(redoStack.current.pop()!);
      bump();
      return;
    }
    if (s === "empty") {
      redoStack.current = [];
      bump();
      return;
    }
    const entry = redoStack.current.pop()!;
    if (await applyLocal(entry, "redo")) {
      undoStack.current.push(entry);
      toast.success(`Redid ${entry.label}.`);
    }
    bump();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cache, saveOne]);

  /** Soft-deletes leads; the toast offers Undo (restore). */
  const remove = useCallback(
    async (leads: LeadDto[]) => {
      if (!leads.length) return;
      const ids: string[] = [];
      let usedBulk = false;
      if (leads.length > 1 && serverUndo.current !== false) {
        try {
          await leadsApi.bulkDelete({ ids: leads.map((l) => l.id) });
          ids.push(...leads.map((l) => l.id));
          usedBulk = true;
        } catch (e) {
          if (!isMissingRoute(e)) {
            toast.error(e);
            return;
          }
        }
      }
      if (!usedBulk) {
        for (const l of leads) {
          try {
            await leadsApi.remove(l.id);
            ids.push(l.id);
          } catch (e) {
            toast.error(e);
          }
        }
      }
      for (const id of ids) cache.remove(id);
      if (!ids.length) return;
      const names = ids.map((id) => leads.find((l) => l.id === id)?.username ?? id);
      const entry: UndoEntry = { kind: "delete", ids, batches: usedBulk ? 1 : ids.length, label: deleteLabel(names) };
      undoStack.current.push(entry);
      redoStack.current = [];
      bump();
      const label = ids.length === 1 ? `Deleted ${leads.find((l) => l.id === ids[0])?.username ?? "1 lead"}.` : `Deleted ${ids.length} leads.`;
      toast.action(label, {
        label: "Undo",
        onClick: async () => {
          try {
            for (const id of ids) await leadsApi.restore(id);
            undoStack.current = undoStack.current.filter((x) => x !== entry);
            bump();
            await cache.refresh();
            toast.success(ids.length === 1 ? "Lead restored." : `${ids.length} leads restored.`);
          } catch (e) {
            toast.error(e);
          }
        },
      });
    },
    [cache, toast],
  );

  const keepMine = useCallback(
    async (c: Conflict) => {
      try {
        const updated = await patchLead(c.id, c.current.version, c.mine);
        cache.replace(updated);
        setConflicts((cs) => cs.filter((x) => x.id !== c.id));
        toast.success(`Saved your change to ${c.username}.`);
      } catch (e) {
        const cur = conflictCurrent(e);
        if (cur) addConflict({ ...c, current: normaliseLead(cur) });
        else toast.error(e);
      }
    },
    [cache, toast, addConflict],
  );

  const takeTheirs = useCallback(
    (c: Conflict) => {
      cache.replace(c.current);
      setConflicts((cs) => cs.filter((x) => x.id !== c.id));
    },
    [cache],
  );

  /** A bulk call made one server batch: Ctrl+Z after it undoes it on the server. */
  const noteServerBatch = useCallback((label: string) => {
    serverUndo.current = true;
    undoStack.current.push({ kind: "patch", changes: [], batches: 1, label });
    redoStack.current = [];
    bump();
  }, []);

  return {
    noteServerBatch,
    conflicts,
    saveEdits,
    saveOne,
    undo,
    redo,
    remove,
    keepMine,
    takeTheirs,
    saving: saving > 0,
    canUndo: undoStack.current.length > 0,
    canRedo: redoStack.current.length > 0,
    undoLabel: undoStack.current[undoStack.current.length - 1]?.label ?? null,
    redoLabel: redoStack.current[redoStack.current.length - 1]?.label ?? null,
  };
}
