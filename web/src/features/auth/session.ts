import { useQuery, type QueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { meApi, qk } from "../../api/endpoints";
import type { Me } from "../../api/types";

/** GET /me, or null when there is no (valid) session. */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await meApi.get();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return null;
    throw e;
  }
}

export function useMe() {
  return useQuery({ queryKey: qk.me, queryFn: fetchMe, staleTime: 60_000 });
}

/** The signed-in user inside the authenticated shell (RequireAuth guarantees it). */
export function useCurrentUser(): Me {
  const { data } = useMe();
  if (!data) throw new Error("useCurrentUser outside RequireAuth");
  return data;
}

/** Forget everything cached for the previous user and mark the session as gone. */
export function signedOut(qc: QueryClient): void {
  qc.cancelQueries();
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== "me" });
  qc.setQueryData(qk.me, null);
}
