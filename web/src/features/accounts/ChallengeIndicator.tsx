import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { ShieldQuestion } from "lucide-react";
import { accountKeys, accountsApi, CHALLENGE_POLL_MS } from "./api";

/** My open challenge items: polled every 10 s and refetched when the window regains focus. */
export function useChallenges() {
  return useQuery({
    queryKey: accountKeys.challenges,
    queryFn: accountsApi.challenges,
    refetchInterval: CHALLENGE_POLL_MS,
    refetchOnWindowFocus: true,
  });
}

/** The top bar's indicator: how many codes Instagram waits for; opens the inbox. Hidden when none. */
export function ChallengeIndicator() {
  const q = useChallenges();
  const n = q.data?.items.length ?? 0;
  if (n === 0) return null;
  const words = n === 1 ? "1 code needed" : `${n} codes needed`;
  return (
    <Link to="/challenges" className="btn btn-sm topbar-challenges" data-testid="challenge-indicator" aria-label={`Challenge inbox: ${words}`} title="Instagram asked for a code">
      <ShieldQuestion size={14} aria-hidden />
      <span className="challenge-count num">{n}</span>
      <span className="topbar-challenges-word">{n === 1 ? " code needed" : " codes needed"}</span>
    </Link>
  );
}
