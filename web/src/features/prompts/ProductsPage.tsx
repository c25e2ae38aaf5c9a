import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Boxes, Pencil, Plus, Trash2 } from "lucide-react";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { Modal } from "../../ui/Modal";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { leadKeys, productsApi, type ProductDto, type ProductVariable } from "../leads/api";
import "./prompts.css";

export default function ProductsPage() {
  const me = useCurrentUser();
  const readOnly = me.role === "viewer";
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const products = useQuery({ queryKey: leadKeys.products, queryFn: productsApi.list });
  const [editing, setEditing] = useState<ProductDto | "new" | null>(null);
  const remove = useMutation({
    mutationFn: (p: ProductDto) => productsApi.remove(p.id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: leadKeys.products });
      void qc.invalidateQueries({ queryKey: leadKeys.prompts });
      toast.success("Product deleted.");
    },
    onError: (e) => toast.error(e),
  });
  return (
    <div className="page">
      <PageHeader
        title="Products"
        description="What you offer. Each variable can be used in a prompt as {{name}} and switched with [IF name_enabled]."
        actions={
          !readOnly && (
            <Button variant="primary" icon={<Plus size={14} aria-hidden />} onClick={() => setEditing("new")}>
              New product
            </Button>
          )
        }
      />
      <Card>
        {products.isPending ? (
          <PageSpinner />
        ) : products.isError ? (
          <FormError message={errorMessage(products.error)} />
        ) : !products.data.length ? (
          <EmptyState icon={<Boxes size={28} />} title="No products yet">
            {readOnly ? "Nothing to show yet." : "Add a product, then write a prompt for it."}
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Description</th>
                  <th>Variables</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {products.data.map((p) => (
                  <tr key={p.id} data-testid="product-row">
                    <td className="strong">{p.name}</td>
                    <td className="muted">{p.description ?? "—"}</td>
                    <td>
                      {p.variables.map((v) => (
                        <Badge key={v.name} tone={v.enabled === false ? "neutral" : "green"} title={v.value}>
                          {v.name}
                        </Badge>
                      ))}
                    </td>
                    <td className="actions">
                      {!readOnly && (
                        <span className="row-actions">
                          <Button size="sm" icon={<Pencil size={14} aria-hidden />} aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)} />
                          <Button
                            size="sm"
                            variant="danger"
                            icon={<Trash2 size={14} aria-hidden />}
                            aria-label={`Delete ${p.name}`}
                            onClick={async () => {
                              if (await confirm({ title: "Delete product?", message: `"${p.name}" and its prompts will be deleted. Leads keep their data.`, confirmLabel: "Delete" }))
                                remove.mutate(p);
                            }}
                          />
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {editing && <ProductDialog product={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function ProductDialog({ product, onClose }: { product: ProductDto | null; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(product?.name ?? "");
  const [description, setDescription] = useState(product?.description ?? "");
  const [vars, setVars] = useState<ProductVariable[]>(product?.variables ?? [{ name: "", label: "", value: "", enabled: true }]);
  const save = useMutation({
    mutationFn: () => {
      const input = { name: name.trim(), description: description.trim() || null, variables: vars.filter((v) => v.name.trim()) };
      return product ? productsApi.update(product.id, input) : productsApi.create(input);
    },
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: leadKeys.products });
      void qc.invalidateQueries({ queryKey: ["prompts", "variables"] });
      toast.success(product ? `Saved ${p.name}.` : `Added ${p.name}.`);
      onClose();
    },
  });
  const fe = fieldErrors(save.error);
  const generic = save.error && !fe.name && !fe.variables ? errorMessage(save.error) : null;
  const setVar = (i: number, patch: Partial<ProductVariable>) => setVars(vars.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Modal
      title={product ? `Edit ${product.name}` : "New product"}
      onClose={onClose}
      width={640}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="product-form" loading={save.isPending}>
            {product ? "Save" : "Add product"}
          </Button>
        </>
      }
    >
      <form id="product-form" className="stack" onSubmit={submit}>
        <FormError message={generic} />
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required errors={fe.name} autoFocus />
        <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} errors={fe.description} />
        <fieldset className="check-list var-fieldset">
          <legend className="label-like">Variables</legend>
          <table className="var-table" data-testid="var-table">
            <colgroup>
              <col className="var-col-name" />
              <col className="var-col-label" />
              <col className="var-col-value" />
              <col className="var-col-on" />
              <col className="var-col-rm" />
            </colgroup>
            <thead>
              <tr className="small muted">
                <th align="left">Name</th>
                <th align="left">Label</th>
                <th align="left">Value</th>
                <th>On</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {vars.map((v, i) => (
                <tr key={i}>
                  <td className="var-name">
                    <input
                      className="input input-sm"
                      aria-label={`Variable ${i + 1} name`}
                      placeholder={i === 0 ? "e.g. price" : "name"}
                      value={v.name}
                      onChange={(e) => setVar(i, { name: e.target.value })}
                    />
                  </td>
                  <td className="var-label">
                    <input
                      className="input input-sm"
                      aria-label={`Variable ${i + 1} label`}
                      placeholder={i === 0 ? "e.g. Price" : "Label"}
                      value={v.label ?? ""}
                      onChange={(e) => setVar(i, { label: e.target.value })}
                    />
                  </td>
                  <td className="var-value">
                    <input
                      className="input input-sm"
                      aria-label={`Variable ${i + 1} value`}
                      placeholder={i === 0 ? "e.g. 49 € a month" : "Value"}
                      value={v.value ?? ""}
                      onChange={(e) => setVar(i, { value: e.target.value })}
                    />
                  </td>
                  <td className="var-on" align="center">
                    <label className="var-on-label">
                      <input type="checkbox" aria-label={`Variable ${i + 1} enabled`} checked={v.enabled !== false} onChange={(e) => setVar(i, { enabled: e.target.checked })} />
                      <span className="var-on-text">On</span>
                    </label>
                  </td>
                  <td className="var-rm">
                    <button type="button" className="icon-btn" aria-label={`Remove variable ${i + 1}`} onClick={() => setVars(vars.filter((_, j) => j !== i))}>
                      ×
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {fe.variables && <div className="field-error">{fe.variables.join(" ")}</div>}
          <Button size="sm" icon={<Plus size={14} aria-hidden />} onClick={() => setVars([...vars, { name: "", label: "", value: "", enabled: true }])}>
            Add variable
          </Button>
        </fieldset>
      </form>
    </Modal>
  );
}
