import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage, fieldErrors } from "../../lib/errors";
import { isApiError } from "../../api/client";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { Modal } from "../../ui/Modal";
import { useToast } from "../../ui/Toasts";
import { accountKeys, accountsApi } from "./api";

/** Link an account by username and password on the session sidecar; a code Instagram asks for opens the inbox. */
export function AddByLoginDialog({ onClose, initialUsername = "" }: { onClose: () => void; initialUsername?: string }) {
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState("");
  const [seed, setSeed] = useState("");
  const [proxy, setProxy] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const link = useMutation({
    mutationFn: () =>
      accountsApi.linkCredentials({
        username: username.trim(),
        password,
        totp_seed: seed.trim() || null,
        proxy: proxy.trim() || null,
      }),
    onSuccess: (out) => {
      void qc.invalidateQueries({ queryKey: accountKeys.all });
      onClose();
      if (out.challenge && out.challenge.status === "open") {
        toast.info(`Instagram asks @${out.account.username} for a code: enter it here.`);
        navigate(`/challenges?focus=${encodeURIComponent(out.challenge.id)}`);
      } else {
        toast.success(`@${out.account.username} is linked and logged in.`);
        navigate(`/accounts/${encodeURIComponent(out.account.id)}`);
      }
    },
  });
  const fe = fieldErrors(link.error);
  const fieldNamed = isApiError(link.error) && Object.keys(fe).some((k) => ["username", "password", "totp_seed", "proxy"].includes(k));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim() && password) link.mutate();
  };
  return (
    <Modal
      title="Add an Instagram account by login"
      onClose={onClose}
      width={460}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="add-by-login" variant="primary" loading={link.isPending} disabled={!username.trim() || !password}>
            Log in and link
          </Button>
        </>
      }
    >
      <form id="add-by-login" className="stack" onSubmit={submit} noValidate>
        <p className="muted small">
          leadgen logs in on the session sidecar (for automation: follows, likes, DMs). The password, the TOTP seed and the session are kept encrypted and never shown again.
        </p>
        <FormError message={link.error && !fieldNamed ? errorMessage(link.error) : null} />
        <TextField
          label="Instagram username"
          name="ig_username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          errors={fe.username}
          autoFocus
          required
        />
        <TextField
          label="Password"
          type="password"
          name="ig_password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          errors={fe.password}
          required
        />
        <TextField
          label="TOTP seed (optional)"
          name="totp_seed"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          hint="The base32 secret of the account's authenticator: two-factor prompts are then answered without you."
          value={seed}
          onChange={(e) => setSeed(e.target.value)}
          errors={fe.totp_seed}
        />
        <TextField
          label="Proxy (optional)"
          name="proxy"
          autoComplete="off"
          spellCheck={false}
          placeholder="http://user:password@host:port"
          hint="http://, https:// or socks5://. A password in it is never shown."
          value={proxy}
          onChange={(e) => setProxy(e.target.value)}
          errors={fe.proxy}
        />
      </form>
    </Modal>
  );
}
