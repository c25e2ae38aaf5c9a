import { parseError } from "../api/client";

/**
 * Fetches a file the server writes (an export) and saves it: under the name the server gives in
 * Content-Disposition, else `fallback`.
 */
export async function downloadFile(url: string, fallback: string): Promise<string> {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) throw await parseError(res);
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? fallback;
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  return name;
}
