import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, SelectField } from "../../ui/Field";
import { Modal } from "../../ui/Modal";
import { leadKeys, productsApi } from "../leads/api";
import { runningOperation, sessionKeys, sessionsApi, type Session } from "./api";
import { buildSessionInput, canonicalErrors, DEFAULT_FORM, MAX_LEAD_IDS, type FieldErrorMap } from "./form";
import { RunningNotice } from "./NewSessionPage";

/**
 * The grid's "Generate drafts": a drafts-only session for the selected leads (stage 5 as a job), about the product
 * picked here. 409 says which heavy operation runs, with a link to it.
 */
export function GenerateDraftsDialog({ leadIds, onClose, onStarted }: { leadIds: string[]; onClose: () => void; onStarted: (s: Session) => void }) {
  const qc = useQueryClient();
  const [productId, setProductId] = useState("");
  const [local, setLocal] = useState<FieldErrorMap>({});
  const products = useQuery({ queryKey: leadKeys.products, queryFn: productsApi.list, staleTime: 60_000 });
  const create = useMutation({
    mutationFn: sessionsApi.create,
    onSuccess: (s) => {
      qc.setQueryData(sessionKeys.one(s.id), s);
      qc.setQueryData(sessionKeys.latest, s);
      void qc.invalidateQueries({ queryKey: ["sessions", "list"] });
      onStarted(s);
    },
  });
  const server = create.error instanceof ApiError && create.error.status === 422 ? canonicalErrors(create.error.fieldErrors) : {};
  const errors = { ...server, ...local };
  const running = runningOperation(create.error);
  const generic = create.error && !running && !Object.keys(server).length ? errorMessage(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = buildSessionInput({ ...DEFAULT_FORM, product_id: productId, stages: ["drafts"] }, leadIds);
    if ("errors" in r) return setLocal(r.errors);
    setLocal({});
    create.mutate(r.body);
  };
  const n = leadIds.length;
  return (
    <Modal
      title="Generate e-mail drafts"
      onClose={onClose}
      width={460}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="generate-drafts" loading={create.isPending} disabled={n === 0}>
            Generate {n.toLocaleString()} draft{n === 1 ? "" : "s"}
          </Button>
        </>
      }
    >
      <form id="generate-drafts" className="stack" onSubmit={submit} noValidate>
        <p>
          One personal e-mail per selected lead, written from the product's prompt. It runs in the background; you review the drafts before
          anything is sent. Leads on the do-not-contact list are left out.
        </p>
        {n > MAX_LEAD_IDS && <p className="field-error">At most {MAX_LEAD_IDS.toLocaleString()} leads at once — select fewer.</p>}
        <SelectField label="Product" value={productId} onChange={(e) => setProductId(e.target.value)} errors={errors.product_id} data-autofocus>
          <option value="">{products.isPending ? "Loading…" : "Choose a product…"}</option>
          {(products.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        {products.data?.length === 0 && (
          <p className="small muted">
            No products yet. <Link to="/products">Create one</Link> first: the e-mails are about it.
          </p>
        )}
        {errors.lead_ids && <p className="field-error">{errors.lead_ids.join(" ")}</p>}
        {running && <RunningNotice sessionId={running.session_id} name={running.name} />}
        <FormError message={generic} />
      </form>
    </Modal>
  );
}
