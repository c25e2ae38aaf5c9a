import { useSearchParams } from "react-router";

/**
 * A list page's filters kept in the URL: `update({ q: "x", role: "" })` sets or clears them (an empty value clears)
 * and, unless told otherwise, goes back to the first page. Replaces the history entry, so Back leaves the page.
 */
export function useFilterParams() {
  const [params, setParams] = useSearchParams();
  const update = (patch: Record<string, string>, resetPage = true) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (resetPage) next.delete("page");
    setParams(next, { replace: true });
  };
  return [params, update] as const;
}
