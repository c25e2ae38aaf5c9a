import { useEffect, useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Ban, Download, ListPlus, Plus, Trash2, Upload } from "lucide-react";
import { downloadFile } from "../../lib/download";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/ConfirmDialog";
import { FormError, SelectField, TextField } from "../../ui/Field";
import { Badge, Card, EmptyState, PageHeader } from "../../ui/misc";
import { formatDateTime } from "../../ui/format";
import { Pager } from "../../ui/Pager";
import { PageSpinner } from "../../ui/Spinner";
import { useToast } from "../../ui/Toasts";
import { useCurrentUser } from "../auth/session";
import { leadKeys } from "../leads/api";
import { dncApi, dncKeys, type DncEntry, type DncKind, type DncQuery } from "./api";
import { addedMessage, bulkMessage, displayValue, splitList, validateDnc } from "./dnc";
import "../../styles/admin.css";
import "./dnc.css";
import { useFilterParams } from "../../lib/useFilterParams";

const PER_PAGE = 50;

export default function DoNotContactPage() {
  const me = useCurrentUser();
  const readOnly = me.role === "viewer";
  const [params, update] = useFilterParams();
  const qParam = params.get("q") ?? "";
  const [search, setSearch] = useState(qParam);
  const debounced = useDebounced(search, 300);
  const page = Math.max(1, Number(params.get("page")) || 1);

  useEffect(() => {
    if (debounced !== qParam) update({ q: debounced });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setSearch(qParam), [qParam]);

  // Usernames are stored without their "@" (a substring search, so "@gmail.com" still finds those e-mails).
  const q = qParam.trim().replace(/^@/, "");
  const query: DncQuery = { q: q || undefined, limit: PER_PAGE, offset: (page - 1) * PER_PAGE };
  const list = useQuery({
    queryKey: dncKeys.list(query),
    queryFn: ({ signal }) => dncApi.list(query, signal),
    placeholderData: keepPreviousData,
  });
  const total = list.data?.total ?? 0;
  const lastPage = Math.max(1, Math.ceil(total / PER_PAGE));
  // A removal emptied the last page: step back to the page that still has entries.
  useEffect(() => {
    if (list.data && !list.isPlaceholderData && list.data.items.length === 0 && page > lastPage) {
      update({ page: lastPage > 1 ? String(lastPage) : "" }, false);
    }
  }, [list.data, list.isPlaceholderData, page, lastPage]); // eslint-disable-line react-hooks/exhaustive-deps

  const filtered = !!qParam;
  const countText = list.data ? `${total.toLocaleString()} ${total === 1 ? "entry" : "entries"}` : "";

  return (
    <div className="page">
      <PageHeader
        title="Do not contact"
        description="Usernames and e-mail addresses you never reach out to. Adding one marks your matching leads “do not contact”; new and imported leads that match start that way."
      />
      {!readOnly && (
        <div className="dnc-add-cards">
          <AddEntryCard />
          <AddManyCard />
        </div>
      )}
      <Card
        title="The list"
        actions={
          <span className="row gap">
            <span className="muted small num" data-testid="dnc-count">
              {countText}
            </span>
            {total > 0 && <ExportButton />}
          </span>
        }
      >
        <div className="filters">
          <TextField
            label="Search"
            name="q"
            type="search"
            placeholder="part of a username or e-mail"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            fieldClassName="dnc-search"
          />
        </div>
        {list.isPending ? (
          <PageSpinner />
        ) : list.isError ? (
          <FormError message={errorMessage(list.error)} />
        ) : list.data.items.length === 0 ? (
          <EmptyState icon={<Ban size={24} />} title={filtered ? "Nothing on the list matches" : "The list is empty"}>
            {filtered
              ? "Try another part of the username or e-mail, or clear the search."
              : readOnly
                ? "Nobody is on the do-not-contact list yet."
                : "Add a username or e-mail above when someone asks not to be contacted."}
          </EmptyState>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table dnc-table stack" aria-busy={list.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Value</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Added</th>
                    {!readOnly && (
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((e) => (
                    <EntryRow key={e.id} entry={e} readOnly={readOnly} />
                  ))}
                </tbody>
              </table>
            </div>
            {total > PER_PAGE && <Pager page={page} perPage={PER_PAGE} total={total} onPage={(p) => update({ page: String(p) }, false)} />}
          </>
        )}
      </Card>
    </div>
  );
}

function EntryRow({ entry: e, readOnly }: { entry: DncEntry; readOnly: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const confirm = useConfirm();
  const shown = displayValue(e.kind, e.value);
  const remove = useMutation({
    mutationFn: () => dncApi.remove(e.id),
    onSuccess: () => {
      toast.success(`Removed ${shown} from the list.`);
      void qc.invalidateQueries({ queryKey: dncKeys.all });
    },
    onError: (err) => toast.error(err),
  });
  return (
    <tr data-testid="dnc-row" data-value={e.value}>
      <td data-label="Kind">
        <Badge tone={e.kind === "email" ? "blue" : "neutral"}>{e.kind === "email" ? "e-mail" : "username"}</Badge>
      </td>
      <td data-label="Value" className="strong dnc-value">
        {shown}
      </td>
      <td data-label="Reason" className={e.reason ? "dnc-reason" : "muted"}>
        {e.reason || "—"}
      </td>
      <td data-label="Added" className="num nowrap">
        {formatDateTime(e.created_at)}
      </td>
      {!readOnly && (
        <td data-label="Actions" className="actions">
          <Button
            size="sm"
            variant="danger"
            icon={<Trash2 size={14} aria-hidden />}
            title="Remove from the list"
            aria-label={`Remove ${shown}`}
            loading={remove.isPending}
            onClick={async () => {
              if (
                await confirm({
                  title: `Remove ${shown} from the list?`,
                  message:
                    "New leads that match are no longer marked “do not contact”. Leads already marked keep that status; change it on the lead to contact them again.",
                  confirmLabel: "Remove",
                })
              )
                remove.mutate();
            }}
          />
        </td>
      )}
    </tr>
  );
}

function AddEntryCard() {
  const qc = useQueryClient();
  const toast = useToast();
  const [kind, setKind] = useState<DncKind>("username");
  const [value, setValue] = useState("");
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const add = useMutation({
    mutationFn: () => dncApi.add({ kind, value: value.trim(), reason: reason.trim() || null }),
    onSuccess: (r) => {
      toast.success(addedMessage(r.leads_marked));
      setValue("");
      setReason("");
      void qc.invalidateQueries({ queryKey: dncKeys.all });
      if (r.leads_marked > 0) void qc.invalidateQueries({ queryKey: leadKeys.all });
    },
  });
  const server = fieldErrors(add.error);
  const fe = { ...server, ...local };
  const generic = add.error && !Object.keys(server).length ? errorMessage(add.error) : null;
  // Editing a field clears what was said about it.
  const edited = () => {
    if (add.error) add.reset();
    if (Object.keys(local).length) setLocal({});
  };
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const errs = validateDnc(kind, value, reason);
    setLocal(errs);
    if (Object.keys(errs).length === 0) add.mutate();
  };
  return (
    <Card title="Add to the list">
      <form className="dnc-form" onSubmit={submit} noValidate aria-label="Add to the do-not-contact list">
        <SelectField
          label="Kind"
          name="kind"
          value={kind}
          errors={fe.kind}
          fieldClassName="dnc-kind"
          onChange={(e) => {
            setKind(e.target.value as DncKind);
            edited();
          }}
        >
          <option value="username">Username</option>
          <option value="email">E-mail</option>
        </SelectField>
        <TextField
          label={kind === "username" ? "Instagram username" : "E-mail address"}
          name="value"
          autoComplete="off"
          spellCheck={false}
          type={kind === "email" ? "email" : "text"}
          placeholder={kind === "username" ? "@username" : "name@example.com"}
          value={value}
          errors={fe.value}
          fieldClassName="dnc-value-field"
          onChange={(e) => {
            setValue(e.target.value);
            edited();
          }}
          required
        />
        <TextField
          label="Reason (optional)"
          name="reason"
          placeholder="e.g. asked us to stop"
          maxLength={500}
          value={reason}
          errors={fe.reason}
          fieldClassName="dnc-reason-field"
          onChange={(e) => {
            setReason(e.target.value);
            edited();
          }}
        />
        {/* An empty label keeps the button on the inputs' line, also when a field shows an error. */}
        <div className="field dnc-submit-field">
          <span className="label-like" aria-hidden>
            &nbsp;
          </span>
          <Button type="submit" variant="primary" icon={<Plus size={14} aria-hidden />} loading={add.isPending}>
            Add
          </Button>
        </div>
      </form>
      <FormError message={generic} />
    </Card>
  );
}

function ExportButton() {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      size="sm"
      icon={<Download size={14} aria-hidden />}
      loading={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await downloadFile(dncApi.exportUrl(), "do-not-contact.csv");
        } catch (e) {
          toast.error(e);
        } finally {
          setBusy(false);
        }
      }}
    >
      Export CSV
    </Button>
  );
}

/** Many entries at once: pasted (one per line or comma-separated) or read from a file (a CSV's value column). */
function AddManyCard() {
  const qc = useQueryClient();
  const toast = useToast();
  const [text, setText] = useState("");
  const [file, setFile] = useState<string | null>(null);
  const items = splitList(text);
  const add = useMutation({
    mutationFn: () => dncApi.addMany({ values: items, source: file ? "file" : "paste", filename: file }),
    onSuccess: (r) => {
      toast.success(bulkMessage(r));
      setText(r.invalid.map((i) => i.value).join("\n"));
      setFile(null);
      void qc.invalidateQueries({ queryKey: dncKeys.all });
      if (r.leads_marked > 0) void qc.invalidateQueries({ queryKey: leadKeys.all });
    },
  });
  const invalid = add.data?.invalid ?? [];
  return (
    <Card title="Add many">
      <form
        className="stack dnc-many"
        aria-label="Add many to the do-not-contact list"
        onSubmit={(e) => {
          e.preventDefault();
          if (items.length) add.mutate();
        }}
      >
        <label className="field">
          <span>Usernames and e-mail addresses</span>
          <textarea
            className="input textarea"
            rows={4}
            spellCheck={false}
            placeholder={"@username\nname@example.com"}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setFile(null);
              if (add.data || add.error) add.reset();
            }}
          />
          <span className="field-hint">One per line, or separated by commas. A CSV export of this list works too.</span>
        </label>
        {invalid.length > 0 && (
          <div className="field-error" role="alert">
            Not added (left in the box to fix): {invalid.map((i) => `${i.value} — ${i.message}`).join("; ")}
          </div>
        )}
        <FormError message={add.error ? errorMessage(add.error) : null} />
        <div className="row gap">
          <label className="btn btn-sm dnc-file">
            <Upload size={14} aria-hidden /> Read a file…
            <input
              type="file"
              accept=".csv,.txt,text/csv,text/plain"
              aria-label="List file"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (!f) return;
                setText(await f.text());
                setFile(f.name);
                e.target.value = "";
              }}
            />
          </label>
          <span style={{ flex: 1 }} />
          <Button type="submit" variant="primary" size="sm" icon={<ListPlus size={14} aria-hidden />} loading={add.isPending} disabled={!items.length}>
            {items.length ? `Add ${items.length.toLocaleString()}` : "Add"}
          </Button>
        </div>
      </form>
    </Card>
  );
}
