import { PageHeader } from "../../ui/misc";
import { SandboxNote } from "./SandboxBanner";
import { ProviderCards } from "./ProviderCards";
import "./providers.css";

/** Settings → Providers (admins): the global credentials of every outside service. */
export default function ProvidersPage() {
  return (
    <div className="page">
      <PageHeader
        title="Providers"
        description="Credentials and options of the outside services. Secrets are kept encrypted and shown only by their last characters; users may set their own AI keys under Connections."
      />
      <SandboxNote />
      <ProviderCards scope="admin" />
    </div>
  );
}
