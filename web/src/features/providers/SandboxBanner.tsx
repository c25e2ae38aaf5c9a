import { useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import { FlaskConical } from "lucide-react";
import { providerKeys, providersApi } from "./api";
import "./providers.css";

function useInstance() {
  return useQuery({ queryKey: providerKeys.instance, queryFn: providersApi.instance, staleTime: Infinity, retry: false });
}

/** Across the top of the shell when every provider points at the built-in sandbox (`leadgen serve --sandbox`). */
export function SandboxBanner() {
  const instance = useInstance();
  const on = instance.data?.sandbox === true;
  // The shell's sticky sidebar and top bar sit below the banner.
  useEffect(() => {
    document.documentElement.classList.toggle("sandbox-mode", on);
    return () => document.documentElement.classList.remove("sandbox-mode");
  }, [on]);
  if (!on) return null;
  return (
    <div className="sandbox-banner" role="status" data-testid="sandbox-banner">
      <FlaskConical size={14} aria-hidden />
      <span>
        <strong>Sandbox</strong> — no real requests are made
      </span>
    </div>
  );
}

/** The same fact where credentials are entered: keys typed here only reach the sandbox. */
export function SandboxNote() {
  const instance = useInstance();
  if (!instance.data?.sandbox) return null;
  return (
    <p className="notice provider-sandbox-note">
      This server runs against the provider sandbox: credentials are checked by the sandbox, not by the real services.
      A key containing “invalid” is rejected there.
    </p>
  );
}
