import { useId } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { adminApi, qk } from "../../api/endpoints";
import { errorMessage } from "../../lib/errors";
import { FormError } from "../../ui/Field";
import { Card, PageHeader } from "../../ui/misc";
import { PageSpinner, Spinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import "../../styles/admin.css";

export function PolicySwitch() {
  const policy = useQuery({ queryKey: qk.policy, queryFn: adminApi.policy });
  const qc = useQueryClient();
  const toast = useToast();
  const id = useId();
  const m = useMutation({
    mutationFn: (require_2fa: boolean) => adminApi.setPolicy({ require_2fa }),
    onSuccess: (p) => {
      qc.setQueryData(qk.policy, p);
      toast.success(p.require_2fa ? "Two-factor authentication is now required." : "Two-factor authentication is now optional.");
    },
    onError: (e) => toast.error(e),
  });
  if (policy.isPending) return <PageSpinner />;
  if (policy.isError) return <FormError message={errorMessage(policy.error)} />;
  return (
    <div className="switch-row">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={policy.data.require_2fa}
        disabled={m.isPending}
        onChange={(e) => m.mutate(e.target.checked)}
        aria-describedby={`${id}-desc`}
      />
      <div>
        <label htmlFor={id}>Require two-factor authentication for every user</label>
        <div id={`${id}-desc`} className="muted small">
          Users without 2FA have to set it up the next time they sign in.
        </div>
      </div>
      {m.isPending && <Spinner size={14} />}
    </div>
  );
}

export default function PolicyPage() {
  return (
    <div className="page">
      <PageHeader title="Policy" description="Security settings that apply to every user." />
      <Card title="Two-factor authentication">
        <PolicySwitch />
      </Card>
    </div>
  );
}
