import { useCallback, useState } from "react";

/**
 * useState that survives reloads (localStorage, JSON). `override` (objects only) wins over what was stored, on the
 * first render only: e.g. a view named in the URL.
 */
export function usePersisted<T>(key: string, initial: T, override?: Partial<T> | null): [T, (v: T | ((prev: T) => T)) => void] {
  const [value, setValue] = useState<T>(() => {
    const stored = read(key, initial);
    if (!override || !isPlainObject(stored)) return stored;
    const next = { ...stored, ...override } as T;
    try {
      localStorage.setItem(key, JSON.stringify(next));
    } catch {
      /* storage full or blocked */
    }
    return next;
  });
  const set = useCallback(
    (v: T | ((prev: T) => T)) => {
      setValue((prev) => {
        const next = typeof v === "function" ? (v as (p: T) => T)(prev) : v;
        try {
          localStorage.setItem(key, JSON.stringify(next));
        } catch {
          /* storage full or blocked */
        }
        return next;
      });
    },
    [key],
  );
  return [value, set];
}

function read<T>(key: string, initial: T): T {
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return initial;
    const parsed = JSON.parse(raw) as unknown;
    if (isPlainObject(initial) && isPlainObject(parsed)) return { ...initial, ...parsed } as T;
    return typeof parsed === typeof initial ? (parsed as T) : initial;
  } catch {
    return initial;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}
