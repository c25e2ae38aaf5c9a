import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "./api/client";
import { qk } from "./api/endpoints";

export function createQueryClient(): QueryClient {
  // When any call finds the session gone, mark the user signed out; RequireAuth then sends them to /login.
  const onError = (e: unknown) => {
    if (e instanceof ApiError && e.status === 401 && e.code === "unauthenticated") {
      qc.setQueryData(qk.me, null);
    }
  };
  const qc: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        retry: (count, e) => !(e instanceof ApiError && e.status > 0 && e.status < 500) && count < 2,
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
      mutations: { retry: false },
    },
  });
  return qc;
}
