import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, ChevronDown } from "lucide-react";
import { Popover } from "../../ui/Popover";
import { useToast } from "../../ui/Toasts";
import { accountKeys, accountsApi, health, selectedAccount, type AccountList } from "./api";
import { Avatar } from "./AccountBits";
import "./accounts.css";

/**
 * The selected Instagram account: the user's primary account, kept by the API (so it follows the user to every
 * browser). Account-scoped pages and calls use its id.
 */
export function useSelectedAccount() {
  const q = useQuery({ queryKey: accountKeys.list, queryFn: accountsApi.list });
  return { ...q, account: selectedAccount(q.data?.items) };
}

/** The top bar's account switcher: choosing an account makes it the primary (selected) one. */
export function AccountSwitcher() {
  const { data, account } = useSelectedAccount();
  const qc = useQueryClient();
  const toast = useToast();
  const select = useMutation({
    mutationFn: (id: string) => accountsApi.update(id, { primary: true }),
    onSuccess: (a) => {
      // The list answers at once with the new selection; everything account-scoped refetches.
      qc.setQueryData<AccountList>(accountKeys.list, (old) =>
        old ? { ...old, items: old.items.map((i) => ({ ...i, is_primary: i.id === a.id })) } : old,
      );
      void qc.invalidateQueries({ queryKey: accountKeys.all });
    },
    onError: (e) => toast.error(e),
  });
  if (!data || !account) return null;
  return (
    <Popover
      className="account-switcher"
      buttonClassName="account-switcher-btn"
      align="right"
      ariaLabel={`Instagram account: @${account.username}`}
      icon={<Avatar account={account} size={20} />}
      label={
        <>
          <span className="switcher-name" data-testid="selected-account">
            @{account.username}
          </span>
          <ChevronDown size={14} aria-hidden />
        </>
      }
    >
      {(close) => (
        <div className="switcher-panel">
          <div className="switcher-title small muted">Work on</div>
          <ul role="listbox" aria-label="Instagram accounts">
            {data.items.map((a) => {
              const h = health(a.vault);
              const current = a.id === account.id;
              return (
                <li key={a.id}>
                  <button
                    type="button"
                    role="option"
                    aria-selected={current}
                    className={["switcher-option", current ? "current" : ""].join(" ")}
                    disabled={select.isPending}
                    onClick={() => {
                      if (!current) select.mutate(a.id);
                      close();
                    }}
                  >
                    <Avatar account={a} size={24} />
                    <span className="switcher-option-name">@{a.username}</span>
                    <span className={`dot dot-${h.tone}`} title={h.label} aria-label={h.label} />
                    {current && <Check size={14} aria-hidden />}
                  </button>
                </li>
              );
            })}
          </ul>
          <div className="switcher-foot small">
            <Link to="/accounts" onClick={close}>
              Manage accounts
            </Link>
          </div>
        </div>
      )}
    </Popover>
  );
}
