// Live progress of a session: server-sent events (`GET /sessions/{id}/events`, each `progress`/`done` message a
// Session), falling back to polling GET /sessions/{id} every 2 s when the stream errors or the browser has no
// EventSource. Every snapshot goes into the TanStack Query cache (sessionKeys.one), so every view reads one copy.
import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { dashboardKeys } from "../dashboard/api";
import { leadKeys } from "../leads/api";
import { isActive, leadsChanged, sessionKeys, sessionsApi, type Session } from "./api";

export const POLL_MS = 2000;

export interface StreamHandlers {
  /** A snapshot (a `progress` or `done` message, or a poll's answer). */
  onSession: (s: Session) => void;
  /** The stream failed: the caller polls instead. Not called after `done`. */
  onError: () => void;
}

interface EventSourceLike {
  addEventListener(type: string, fn: (e: MessageEvent) => void): void;
  close(): void;
  onerror: ((e: Event) => void) | null;
}
type EventSourceCtor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/**
 * Opens the event stream of session `id`; returns a function that closes it. After `done` (or an error) the stream is
 * closed for good — EventSource would otherwise reconnect on its own. Returns null when there is no EventSource.
 */
export function openSessionStream(id: string, h: StreamHandlers, Ctor: EventSourceCtor | undefined = globalThis.EventSource as unknown as EventSourceCtor | undefined): (() => void) | null {
  if (typeof Ctor !== "function") return null;
  let closed = false;
  const es = new Ctor(sessionsApi.eventsUrl(id), { withCredentials: true });
  const close = () => {
    if (closed) return;
    closed = true;
    es.close();
  };
  const read = (e: MessageEvent): Session | null => {
    try {
      const s = JSON.parse(String(e.data)) as Session;
      return s && typeof s === "object" && typeof s.id === "string" ? s : null;
    } catch {
      return null;
    }
  };
  es.addEventListener("progress", (e) => {
    const s = read(e);
    if (s && !closed) h.onSession(s);
  });
  es.addEventListener("done", (e) => {
    const s = read(e);
    close();
    if (s) h.onSession(s);
  });
  es.onerror = () => {
    if (closed) return;
    close();
    h.onError();
  };
  return close;
}

/** Stores a snapshot; when the leads it added/updated changed, the leads queries and the dashboard refetch. */
export function storeSession(qc: QueryClient, s: Session): void {
  const prev = qc.getQueryData<Session>(sessionKeys.one(s.id));
  qc.setQueryData(sessionKeys.one(s.id), s);
  if (leadsChanged(prev, s)) {
    void qc.invalidateQueries({ queryKey: leadKeys.all });
    void qc.invalidateQueries({ queryKey: dashboardKeys.summary });
  }
  if (prev && isActive(prev) && !isActive(s)) {
    // Finished: lists, the newest-session tile and the dashboard show the end state.
    void qc.invalidateQueries({ queryKey: ["sessions", "list"] });
    void qc.invalidateQueries({ queryKey: sessionKeys.latest });
    void qc.invalidateQueries({ queryKey: dashboardKeys.summary });
  }
}

/**
 * One session, live while it runs: the stream when it works, GET every 2 s when it does not. `seed`: a copy the
 * caller already has (from a list), shown until the first answer.
 */
export function useLiveSession(id: string | null, seed?: Session | null) {
  const qc = useQueryClient();
  const [polling, setPolling] = useState(false);
  const query = useQuery({
    queryKey: sessionKeys.one(id ?? ""),
    queryFn: ({ signal }) => sessionsApi.get(id!, signal),
    enabled: !!id,
    initialData: seed && seed.id === id ? seed : undefined,
    // Fresh on mount (the seed may be old), then the stream keeps it current.
    initialDataUpdatedAt: 0,
    refetchInterval: (q) => (polling && isActive(q.state.data) ? POLL_MS : false),
  });
  const active = isActive(query.data);
  useEffect(() => {
    if (!id || !active) return;
    setPolling(false);
    const close = openSessionStream(id, {
      onSession: (s) => storeSession(qc, s),
      onError: () => setPolling(true),
    });
    if (!close) setPolling(true);
    return () => close?.();
  }, [id, active, qc]);
  // A poll's answer goes through the same bookkeeping as a streamed one (leads queries, lists).
  const last = useRef<Session | undefined>(undefined);
  useEffect(() => {
    const s = query.data;
    if (!s) return;
    const prev = last.current;
    last.current = s;
    if (!polling || !prev || prev === s) return;
    if (leadsChanged(prev, s)) {
      void qc.invalidateQueries({ queryKey: leadKeys.all });
      void qc.invalidateQueries({ queryKey: dashboardKeys.summary });
    }
    if (isActive(prev) && !isActive(s)) {
      void qc.invalidateQueries({ queryKey: ["sessions", "list"] });
      void qc.invalidateQueries({ queryKey: sessionKeys.latest });
    }
  }, [query.data, polling, qc]);
  return { session: query.data ?? null, query, live: active && !polling, polling: active && polling };
}

/** The user's newest session (at most one runs at a time); checked every 30 s while none runs. */
export function useLatestSession(enabled = true) {
  return useQuery({
    queryKey: sessionKeys.latest,
    queryFn: ({ signal }) => sessionsApi.list({ limit: 1 }, signal).then((p) => p.items[0] ?? null),
    enabled,
    retry: false,
    staleTime: 10_000,
    refetchInterval: (q) => (isActive(q.state.data) ? false : 30_000),
  });
}

/**
 * The grid's live count: while a session runs, `refresh` is called whenever the leads it added or updated change
 * (at most every 2 s; the last change always gets through).
 */
export function useLeadsLiveRefresh(refresh: () => void, enabled = true) {
  const latest = useLatestSession(enabled);
  const running = latest.data && isActive(latest.data) ? latest.data : null;
  const { session } = useLiveSession(running?.id ?? null, running);
  const seen = useRef<Session | null>(null);
  const fn = useRef(refresh);
  fn.current = refresh;
  const timer = useRef<number | null>(null);
  const lastRun = useRef(0);
  useEffect(() => {
    if (!session) return;
    const prev = seen.current;
    seen.current = session;
    if (!prev || prev.id !== session.id || !leadsChanged(prev, session)) return;
    const wait = Math.max(0, lastRun.current + POLL_MS - Date.now());
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      lastRun.current = Date.now();
      fn.current();
    }, wait);
  }, [session]);
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );
  return running ? session : null;
}
