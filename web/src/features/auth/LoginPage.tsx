import { useEffect, useReducer, useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { AtSign } from "lucide-react";
import { ApiError, isApiError } from "../../api/client";
import { authApi, qk } from "../../api/endpoints";
import type { LoginStep } from "../../api/types";
import { loginErrorMessage as errorMessage, fieldErrors } from "../../lib/errors";
import { Button } from "../../ui/Button";
import { FormError, TextField } from "../../ui/Field";
import { PageSpinner } from "../../ui/Spinner";
import { ThemeToggle } from "../../shell/theme";
import { BackupCodesPanel } from "./BackupCodesPanel";
import { initialLoginState, loginReducer, type LoginAction, type LoginState } from "./loginMachine";
import { NewPasswordFields, useNewPasswordValid } from "./NewPasswordFields";
import { useMe } from "./session";
import { TotpSetupPanel } from "./TotpSetupPanel";
import { accountsApi, instagramPending, oauthErrorText } from "../accounts/api";
import "../../styles/login.css";

type Dispatch = (a: LoginAction) => void;

function targetFrom(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("/login") ? from : "/";
}

const TITLES: Record<LoginState["step"], string> = {
  credentials: "Sign in to leadgen",
  password_change: "Choose a new password",
  totp: "Two-factor authentication",
  totp_setup: "Set up two-factor authentication",
  backup_codes: "Save your backup codes",
  done: "Signing you in…",
};

/** The first screen: after "Continue with Instagram" the callback may hand over a pending step in the address's
 * fragment (`#instagram_pending=…&status=totp_required`): the 2FA policy applies as after a password. */
function initialState(hash: string): LoginState {
  const pending = instagramPending(hash);
  if (!pending) return initialLoginState;
  return loginReducer(initialLoginState, {
    type: "answer",
    answer: { status: pending.status as LoginStep["status"], pending_token: pending.pending_token },
  });
}

export function LoginPage() {
  const [state, dispatch] = useReducer(loginReducer, window.location.hash, initialState);
  const [username, setUsername] = useState("");
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const target = targetFrom(location.state);
  const [params, setParams] = useSearchParams();
  // `?error=<code>` from the Instagram sign-in callback: shown once, then removed from the address.
  const [igError] = useState(() => params.get("error"));
  useEffect(() => {
    if (params.has("error")) setParams({}, { replace: true, state: location.state });
  }, [params, setParams, location.state]);
  useEffect(() => {
    // The pending token must not stay in the address (history, screenshots).
    if (instagramPending(window.location.hash)) {
      window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    }
  }, []);

  useEffect(() => {
    if (state.step !== "done") return;
    if (state.user) qc.setQueryData(qk.me, state.user);
    else void qc.invalidateQueries({ queryKey: qk.me });
    navigate(target, { replace: true });
  }, [state, qc, navigate, target]);

  if (state.step === "credentials" && me.data) return <Navigate to={target} replace />;
  if (state.step === "credentials" && me.isPending) return <PageSpinner />;

  return (
    <div className="login-page">
      <div className="login-theme">
        <ThemeToggle />
      </div>
      <main className="login-card" aria-labelledby="login-title">
        <div className="brand-row">
          <span className="brand-mark" aria-hidden>
            L
          </span>
          <span className="brand-name">leadgen</span>
        </div>
        <h1 id="login-title">{TITLES[state.step]}</h1>
        {state.step === "credentials" && (
          <CredentialsStep
            notice={state.notice}
            igError={igError ? oauthErrorText(igError) : null}
            username={username}
            setUsername={setUsername}
            dispatch={dispatch}
          />
        )}
        {state.step === "password_change" && (
          <PasswordStep pendingToken={state.pendingToken} username={state.username || username} dispatch={dispatch} />
        )}
        {state.step === "totp" && (
          <TotpStep pendingToken={state.pendingToken} useBackup={state.useBackup} dispatch={dispatch} />
        )}
        {state.step === "totp_setup" && <TotpSetupStep state={state} dispatch={dispatch} />}
        {state.step === "backup_codes" && (
          <BackupCodesPanel
            codes={state.codes}
            username={state.user?.username ?? username}
            onDone={() => dispatch({ type: "codes_saved" })}
            doneLabel="Continue to leadgen"
          />
        )}
        {state.step === "done" && <PageSpinner label="Signing you in" />}
        {state.step !== "credentials" && state.step !== "backup_codes" && state.step !== "done" && (
          <button type="button" className="link-btn back-link" onClick={() => dispatch({ type: "restart" })}>
            Start over with a different account
          </button>
        )}
      </main>
    </div>
  );
}

function useStepMutation<V>(fn: (v: V) => Promise<LoginStep>, dispatch: Dispatch, username?: string) {
  return useMutation({
    mutationFn: fn,
    onSuccess: (answer) => dispatch({ type: "answer", answer, username }),
    onError: (e) => {
      if (isApiError(e, "login_step_expired")) dispatch({ type: "expired" });
    },
  });
}

function CredentialsStep({
  notice,
  igError,
  username,
  setUsername,
  dispatch,
}: {
  notice: string | null;
  igError: string | null;
  username: string;
  setUsername: (v: string) => void;
  dispatch: Dispatch;
}) {
  const [password, setPassword] = useState("");
  const m = useStepMutation(
    (v: { username: string; password: string }) => authApi.login(v.username, v.password),
    dispatch,
    username,
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!username || !password) return;
    m.mutate({ username: username.trim(), password });
  };
  const instagram = useMutation({
    mutationFn: accountsApi.startSignin,
    // Off to Instagram's consent page; the callback signs in (or comes back here with the next step or an error).
    onSuccess: (c) => window.location.assign(c.authorize_url),
  });
  const fe = fieldErrors(m.error);
  return (
    <>
    <form onSubmit={submit} className="stack" noValidate>
      {notice && (
        <div className="notice" role="status">
          {notice}
        </div>
      )}
      {igError && !m.error && (
        <div className="form-error" role="alert" data-testid="instagram-error">
          {igError}
        </div>
      )}
      <FormError message={m.error ? errorMessage(m.error) : null} />
      <TextField
        label="Username"
        name="username"
        autoComplete="username"
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
        name="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        errors={fe.password}
        required
      />
      <Button type="submit" variant="primary" loading={m.isPending} disabled={!username || !password}>
        Sign in
      </Button>
    </form>
    <div className="stack signin-instagram">
      <div className="signin-or" aria-hidden>
        or
      </div>
      <FormError message={instagram.error ? errorMessage(instagram.error) : null} />
      <Button icon={<AtSign size={16} aria-hidden />} loading={instagram.isPending || instagram.isSuccess} onClick={() => instagram.mutate()}>
        Continue with Instagram
      </Button>
    </div>
    </>
  );
}

function PasswordStep({ pendingToken, username, dispatch }: { pendingToken: string; username: string; dispatch: Dispatch }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const valid = useNewPasswordValid(password, repeat, username);
  const m = useStepMutation((pw: string) => authApi.changePassword(pendingToken, pw), dispatch, username);
  const fe = fieldErrors(m.error);
  const general = m.error && !(m.error instanceof ApiError && m.error.code === "validation_failed" && fe.new_password);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) m.mutate(password);
  };
  return (
    <form onSubmit={submit} className="stack" noValidate>
      <p className="muted">Your password must be changed before you continue.</p>
      <FormError message={general ? errorMessage(m.error) : null} />
      <NewPasswordFields
        username={username}
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        errors={fe.new_password}
        autoFocus
      />
      <Button type="submit" variant="primary" loading={m.isPending} disabled={!valid}>
        Set new password
      </Button>
    </form>
  );
}

function TotpStep({ pendingToken, useBackup, dispatch }: { pendingToken: string; useBackup: boolean; dispatch: Dispatch }) {
  const [code, setCode] = useState("");
  const m = useStepMutation(
    (c: string) => authApi.totp(pendingToken, useBackup ? { backup_code: c } : { code: c }),
    dispatch,
  );
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (m.isError) {
      setCode("");
      inputRef.current?.focus();
    }
  }, [m.isError, m.error]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const c = code.trim();
    if (c) m.mutate(c);
  };
  const ready = useBackup ? code.trim().length >= 6 : code.length === 6;
  return (
    <form onSubmit={submit} className="stack" noValidate>
      <FormError message={m.error ? errorMessage(m.error) : null} />
      {useBackup ? (
        <TextField
          key="backup"
          ref={inputRef}
          label="Backup code"
          name="backup_code"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="xxxxx-xxxxx"
          hint="Each backup code works once."
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoFocus
          required
        />
      ) : (
        <TextField
          key="totp"
          ref={inputRef}
          label="6-digit code from your authenticator app"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={6}
          className="input-code"
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/[^0-9]/g, ""))}
          autoFocus
          required
        />
      )}
      <Button type="submit" variant="primary" loading={m.isPending} disabled={!ready}>
        Verify
      </Button>
      <button
        type="button"
        className="link-btn"
        onClick={() => {
          setCode("");
          m.reset();
          dispatch({ type: "toggle_backup" });
        }}
      >
        {useBackup ? "Use a code from your authenticator app" : "Use a backup code"}
      </button>
    </form>
  );
}

function TotpSetupStep({ state, dispatch }: { state: Extract<LoginState, { step: "totp_setup" }>; dispatch: Dispatch }) {
  const started = useRef<string | null>(null);
  const load = useMutation({
    mutationFn: () => authApi.totpSetup(state.pendingToken),
    onSuccess: (setup) => dispatch({ type: "setup_loaded", setup }),
    onError: (e) => {
      if (isApiError(e, "login_step_expired")) dispatch({ type: "expired" });
    },
  });
  const confirm = useStepMutation((code: string) => authApi.totpSetupConfirm(state.pendingToken, code), dispatch);
  useEffect(() => {
    if (started.current === state.pendingToken) return;
    started.current = state.pendingToken;
    load.mutate();
  }, [state.pendingToken, load]);

  if (load.isError) {
    return (
      <div className="stack">
        <FormError message={errorMessage(load.error)} />
        <Button variant="primary" onClick={() => load.mutate()} autoFocus>
          Try again
        </Button>
      </div>
    );
  }
  if (!state.setup) return <PageSpinner label="Preparing your secret" />;
  const confirmErr = confirm.error ? [errorMessage(confirm.error)] : undefined;
  return (
    <div className="stack">
      <p className="muted">Two-factor authentication is required for your account.</p>
      <TotpSetupPanel
        setup={state.setup}
        pending={confirm.isPending}
        error={confirmErr}
        onConfirm={(code) => confirm.mutate(code)}
        submitLabel="Confirm and continue"
      />
    </div>
  );
}
