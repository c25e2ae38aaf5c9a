//! Credential links: `POST /api/v1/accounts/credentials` logs in on the session sidecar. A bad password is refused
//! and nothing is stored; a two-factor prompt or a challenge keeps the link pending and opens an item in the
//! challenge inbox (answered unattended when a TOTP seed is stored). The session id and the device settings are
//! kept encrypted; every later login restores the same device. Also the session check behind "test session" and
//! the periodic health job.

use super::dto::{self, CredentialLink, LinkOutcome};
use super::{require_manager, seal, sidecar_not_configured, unseal};
use crate::audit::event;
use crate::extract::Body;
use crate::identity::extract::CurrentUser;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web;
use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use leadgen_core::config::Settings;
use leadgen_core::error::ErrorBody;
use leadgen_core::secrets::Secrets;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::account_member::{AccountMember, ROLE_OWNER};
use leadgen_db::models::challenge::{Challenge, KIND_CHALLENGE, KIND_TWO_FACTOR};
use leadgen_db::models::ig_account::{IgAccount, ProfileUpdate, SESSION_INVALID, SESSION_PENDING};
use leadgen_db::Db;
use leadgen_providers::sidecar::Sidecar;
use leadgen_providers::{ProviderError, ProviderErrorKind};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::Arc;

/// What the session code needs: settings, key ring, database (from the app state or a job's provider access).
#[derive(Clone)]
pub struct Env {
    pub settings: Arc<Settings>,
    pub secrets: Arc<Secrets>,
    pub db: Db,
}

impl Env {
    pub fn of(state: &AppState) -> Self {
        Env {
            settings: state.settings.clone(),
            secrets: state.secrets.clone(),
            db: state.db.clone(),
        }
    }

    pub async fn sidecar(&self) -> ApiResult<Option<Sidecar>> {
        let (settings, secrets) = (self.settings.clone(), self.secrets.clone());
        self.db
            .run(move |c| super::sidecar(&secrets, &settings, c))
            .await
    }
}

pub const PROMPT_TWO_FACTOR: &str =
    "Instagram asks for the two-factor code: enter the code from the authenticator app or the SMS.";
pub const PROMPT_CHALLENGE: &str =
    "Instagram wants to confirm it is you: enter the security code it sent by e-mail or SMS.";

/// The TOTP code of a base32 seed now (Instagram goes by real time, not the app's clock).
fn totp_code(seed: &str) -> ApiResult<String> {
    let bytes = totp_rs::Secret::Encoded(seed.replace(' ', "").to_uppercase())
        .to_bytes()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("stored TOTP seed is not base32")))?;
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    );
    Ok(totp.generate(crate::identity::totp::now_secs()))
}

/// A TOTP seed as typed (spaces allowed): 422 naming `field` unless it is base32 of at least 10 bytes.
pub fn check_seed(seed: &str, field: &str) -> ApiResult<String> {
    let s = seed.replace(' ', "").to_uppercase();
    match totp_rs::Secret::Encoded(s.clone()).to_bytes() {
        Ok(b) if b.len() >= 10 => Ok(s),
        _ => Err(ApiError::field(
            field,
            "invalid",
            "Not a TOTP seed: the base32 text the authenticator app was set up with.",
        )),
    }
}

/// A proxy URL: 422 naming `field` unless http(s) or socks5 with a host. Returns it and what may be shown.
pub fn check_proxy(proxy: &str, field: &str) -> ApiResult<(String, String)> {
    let p = proxy.trim();
    let bad = || {
        ApiError::field(
            field,
            "invalid",
            "Enter a proxy URL like http://host:port or socks5://user:password@host:port.",
        )
    };
    let u = url::Url::parse(p).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") || u.host_str().is_none() {
        return Err(bad());
    }
    let host = u.host_str().unwrap_or_default();
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let creds = if u.username().is_empty() && u.password().is_none() {
        ""
    } else {
        "••••@"
    };
    Ok((
        p.to_owned(),
        format!("{}://{creds}{host}{port}", u.scheme()),
    ))
}

/// The login outcome in the terms the link acts on.
pub enum Login {
    Session(SecretString),
    Asked(&'static str),
}

/// One login on the sidecar with the account's stored password (and a code: the given one, else the TOTP seed's).
pub async fn login(
    env: &Env,
    sidecar: &Sidecar,
    account: &IgAccount,
    code: Option<&str>,
) -> ApiResult<Result<Login, ProviderError>> {
    let Some(pw) = &account.password_enc else {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "This account has no credential link.",
        ));
    };
    let password = unseal(&env.secrets.keyring, &account.id, "password_enc", pw)?;
    let code = match (code, &account.totp_seed_enc) {
        (Some(c), _) => Some(c.trim().to_owned()),
        (None, Some(seed)) => {
            let seed = unseal(&env.secrets.keyring, &account.id, "totp_seed_enc", seed)?;
            Some(totp_code(seed.expose_secret())?)
        }
        (None, None) => None,
    };
    let proxy = account
        .proxy_enc
        .as_ref()
        .map(|blob| unseal(&env.secrets.keyring, &account.id, "proxy_enc", blob))
        .transpose()?;
    Ok(attempt(
        sidecar,
        &account.username,
        &password,
        code.as_deref(),
        proxy.as_ref(),
    )
    .await)
}

async fn attempt(
    sidecar: &Sidecar,
    username: &str,
    password: &SecretString,
    code: Option<&str>,
    proxy: Option<&SecretString>,
) -> Result<Login, ProviderError> {
    match sidecar.login_via(username, password, code, proxy).await {
        Ok(sid) => Ok(Login::Session(sid)),
        Err(e) if e.kind == ProviderErrorKind::TwoFactorRequired => {
            Ok(Login::Asked(KIND_TWO_FACTOR))
        }
        Err(e) if e.kind == ProviderErrorKind::ChallengeRequired => {
            Ok(Login::Asked(KIND_CHALLENGE))
        }
        Err(e) => Err(e),
    }
}

/// Keeps a fresh session: reads its device settings; when the account already has a pinned device, the
/// sidecar gets that device back (with the new session's authorization), so Instagram sees the same phone.
/// Stores both encrypted and syncs the profile (and the private-API id) from the sidecar.
pub async fn store_session(
    env: &Env,
    sidecar: &Sidecar,
    account: &IgAccount,
    sid: SecretString,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let keyring = &env.secrets.keyring;
    let fresh = sidecar.settings(&sid).await.map_err(ApiError::from)?;
    let (sid, settings) = match &account.device_enc {
        Some(blob) => {
            let pinned: Value = serde_json::from_str(
                unseal(keyring, &account.id, "device_enc", blob)?.expose_secret(),
            )
            .map_err(ApiError::internal)?;
            let mut merged = pinned;
            for key in [
                "authorization_data",
                "cookies",
                "mid",
                "ig_u_rur",
                "ig_www_claim",
                "last_login",
            ] {
                if let (Some(obj), Some(v)) = (merged.as_object_mut(), fresh.get(key)) {
                    obj.insert(key.to_owned(), v.clone());
                }
            }
            let sid = sidecar
                .set_settings(&sid, &merged)
                .await
                .map_err(ApiError::from)?;
            (sid, merged)
        }
        None => (sid, fresh),
    };
    let pk = settings
        .pointer("/authorization_data/ds_user_id")
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        });
    let session_enc = seal(keyring, &account.id, "session_enc", sid.expose_secret())?;
    let device_enc = seal(keyring, &account.id, "device_enc", &settings.to_string())?;
    let profile = sidecar
        .user_info_by_username(&sid, &account.username)
        .await
        .ok();
    let (id, official) = (account.id.clone(), account.token_enc.is_some());
    env.db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                IgAccount::set_session(c, &id, &session_enc, Some(&device_enc), now)?;
                let pk = pk.or_else(|| profile.as_ref().map(|p| p.pk.clone()));
                if let Some(pk) = pk.filter(|p| !p.is_empty()) {
                    if IgAccount::find_by_pk(c, &pk)?.is_none_or(|a| a.id == id) {
                        IgAccount::set_pk(c, &id, &pk)?;
                    }
                }
                if let (Some(p), false) = (profile, official) {
                    IgAccount::set_profile(
                        c,
                        &id,
                        &ProfileUpdate {
                            username: p.username,
                            full_name: p.full_name,
                            profile_picture_url: None,
                            biography: p.biography,
                            followers_count: p.follower_count.and_then(|n| i64::try_from(n).ok()),
                            follows_count: p.following_count.and_then(|n| i64::try_from(n).ok()),
                            media_count: p.media_count.and_then(|n| i64::try_from(n).ok()),
                            account_type: p
                                .is_business
                                .map(|b| if b { "BUSINESS" } else { "PERSONAL" }.to_owned()),
                        },
                        now,
                    )?;
                }
                Ok(())
            })
        })
        .await
}

/// Opens a challenge item for the user and marks the session pending.
pub async fn open_challenge(
    env: &Env,
    account_id: &str,
    user_id: &str,
    kind: &'static str,
    now: NaiveDateTime,
) -> ApiResult<Challenge> {
    let (aid, uid) = (account_id.to_owned(), user_id.to_owned());
    env.db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                IgAccount::set_session_status(c, &aid, SESSION_PENDING, now)?;
                IgAccount::challenge_seen(c, &aid, now)?;
                let prompt = if kind == KIND_TWO_FACTOR {
                    PROMPT_TWO_FACTOR
                } else {
                    PROMPT_CHALLENGE
                };
                Challenge::open(c, &aid, &uid, kind, prompt, now)
            })
        })
        .await
}

/// Records a failed session call on the account (and marks the session invalid when Instagram wants a login).
pub async fn record_failure(
    env: &Env,
    account_id: &str,
    e: &ProviderError,
    now: NaiveDateTime,
) -> ApiResult<()> {
    // A session Instagram stopped with a login or a challenge is over: linking again (the same credentials)
    // logs in on the pinned device and opens the inbox item when Instagram asks for a code.
    let challenged = matches!(
        e.kind,
        ProviderErrorKind::ChallengeRequired | ProviderErrorKind::TwoFactorRequired
    );
    let status = match e.kind {
        ProviderErrorKind::LoginRequired | ProviderErrorKind::Auth => Some(SESSION_INVALID),
        _ if challenged => Some(SESSION_INVALID),
        _ => None,
    };
    let code = e.code().as_str().to_owned();
    let message = ApiError::new(e.code()).message;
    let aid = account_id.to_owned();
    env.db
        .run(move |c| {
            if challenged {
                IgAccount::challenge_seen(c, &aid, now)?;
            }
            IgAccount::session_failed(c, &aid, status, &code, &message, now)
        })
        .await
}

/// Link an Instagram account by username and password (logged in on the session sidecar). Answers 201 with the
/// account; when Instagram asks for a two-factor code or a security check, the link stays pending and `challenge`
/// is the item opened in the challenge inbox. A wrong password is 422 on `password` and nothing is stored.
#[utoipa::path(post, path = "/api/v1/accounts/credentials", operation_id = "link_account_credentials", tag = "accounts",
    request_body = CredentialLink,
    responses((status = 201, body = LinkOutcome),
        (status = 409, body = ErrorBody, description = "No sidecar is set, or the account is linked by another user (`conflict`)"),
        (status = 502, body = ErrorBody, description = "The sidecar failed (a provider error code)")))]
pub async fn link(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<CredentialLink>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let username = b.username.trim().trim_start_matches('@').to_owned();
    let valid = !username.is_empty()
        && username.len() <= 30
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if !valid {
        return Err(ApiError::field(
            "username",
            "invalid",
            "An Instagram username: letters, digits, dots and underscores, at most 30.",
        ));
    }
    let seed = match b
        .totp_seed
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(check_seed(s, "totp_seed")?),
        None => None,
    };
    let proxy = match b.proxy.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some(check_proxy(p, "proxy")?),
        None => None,
    };
    let env = Env::of(&state);
    let now = state.clock.now();
    // An account with this username already here: the caller's own (a new password: relink), or another's.
    let (uid, name) = (me.user.id.clone(), username.clone());
    let existing = state
        .db
        .run(move |c| {
            // Prefer one the caller is a member of (a stale row of a renamed account may share the name).
            let mut first = None;
            for a in IgAccount::find_by_username(c, &name)? {
                match AccountMember::find(c, &a.id, &uid)? {
                    Some(m) => return Ok(Some((a, Some(m)))),
                    None => {
                        first.get_or_insert(a);
                    }
                }
            }
            Ok(first.map(|a| (a, None)))
        })
        .await?;
    let existing = match existing {
        Some((a, Some(m))) => {
            require_manager(&m)?;
            Some(a)
        }
        Some((_, None)) => {
            return Err(ApiError::conflict(
                "username",
                "This Instagram account is linked by another user already: ask its owner to add you as a member.",
            ))
        }
        None => None,
    };
    let Some(sidecar) = env.sidecar().await? else {
        return Err(sidecar_not_configured());
    };
    // Log in before anything is stored: a wrong password leaves no trace.
    let password = SecretString::from(b.password.clone());
    let code = seed.as_deref().map(totp_code).transpose()?;
    // The proxy given now, else the one the account has.
    let proxy_secret = match (&proxy, existing.as_ref().and_then(|a| a.proxy_enc.as_ref())) {
        (Some((p, _)), _) => Some(SecretString::from(p.clone())),
        (None, Some(blob)) => {
            let a = existing.as_ref().map(|a| a.id.as_str()).unwrap_or_default();
            Some(unseal(&state.secrets.keyring, a, "proxy_enc", blob)?)
        }
        (None, None) => None,
    };
    let outcome = attempt(
        &sidecar,
        &username,
        &password,
        code.as_deref(),
        proxy_secret.as_ref(),
    )
    .await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let reason = e.code().as_str();
            crate::audit::record(
                &state,
                event("account.login", Some(&me.user), &client)
                    .failed()
                    .target(
                        "ig_account",
                        existing.as_ref().map(|a| a.id.as_str()),
                        Some(&username),
                    )
                    .details(json!({"reason": reason})),
            )
            .await;
            if e.kind == ProviderErrorKind::Auth {
                return Err(ApiError::field(
                    "password",
                    "wrong_password",
                    "Instagram did not accept this username and password.",
                ));
            }
            return Err(ApiError::from(e));
        }
    };
    // Store the account, the membership and the sealed credentials.
    let id = existing
        .as_ref()
        .map(|a| a.id.clone())
        .unwrap_or_else(IgAccount::new_id);
    let keyring = &state.secrets.keyring;
    let password_enc = seal(keyring, &id, "password_enc", &b.password)?;
    let seed_enc = seed
        .as_deref()
        .map(|s| seal(keyring, &id, "totp_seed_enc", s))
        .transpose()?;
    let proxy_enc = proxy
        .as_ref()
        .map(|(p, shown)| seal(keyring, &id, "proxy_enc", p).map(|enc| (enc, shown.clone())))
        .transpose()?;
    let (uid, name, is_new, aid) = (
        me.user.id.clone(),
        username.clone(),
        existing.is_none(),
        id.clone(),
    );
    let account = state
        .db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                if is_new {
                    IgAccount::create(c, &aid, &name, now)?;
                    AccountMember::add(c, &aid, &uid, ROLE_OWNER, now)?;
                }
                IgAccount::set_credentials(c, &aid, &password_enc, seed_enc.as_deref(), now)?;
                if let Some((enc, shown)) = &proxy_enc {
                    IgAccount::set_proxy(c, &aid, Some((enc, shown)), now)?;
                }
                IgAccount::get(c, &aid)
            })
        })
        .await?;
    let challenge = match outcome {
        Login::Session(sid) => {
            store_session(&env, &sidecar, &account, sid, now).await?;
            None
        }
        Login::Asked(kind) => {
            let ch = open_challenge(&env, &id, &me.user.id, kind, now).await?;
            crate::audit::record(
                &state,
                event("challenge.opened", Some(&me.user), &client)
                    .target("ig_account", Some(&id), Some(&username))
                    .details(json!({"kind": kind, "challenge_id": ch.id})),
            )
            .await;
            Some(ch)
        }
    };
    crate::audit::record(
        &state,
        event("account.linked", Some(&me.user), &client)
            .target("ig_account", Some(&id), Some(&username))
            .details(json!({"kind": "session", "pending": challenge.is_some(), "new": is_new})),
    )
    .await;
    let (uid, aid) = (me.user.id.clone(), id.clone());
    let (account, member) = state
        .db
        .run(move |c| AccountMember::account_of(c, &aid, &uid))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let name = account.username.clone();
    Ok(HttpResponse::Created().json(LinkOutcome {
        account: dto::account_view(account, &member, now),
        challenge: challenge.map(|c| dto::challenge_view(c, &name)),
    }))
}

/// What a session check found: ok, or the failure's code and words.
pub struct Check {
    pub ok: bool,
    pub code: Option<String>,
    pub message: String,
}

/// Checks the account's links now: the session on the sidecar (a call that needs a live session; it also syncs
/// the profile) and the official token (the profile). Records the outcome on the account.
pub async fn check(env: &Env, account: &IgAccount, now: NaiveDateTime) -> ApiResult<Check> {
    let keyring = &env.secrets.keyring;
    let mut checked = false;
    if let Some(blob) = &account.session_enc {
        checked = true;
        let Some(sidecar) = env.sidecar().await? else {
            return Ok(Check {
                ok: false,
                code: Some("not_configured".into()),
                message: "The session sidecar is not set up.".into(),
            });
        };
        let sid = unseal(keyring, &account.id, "session_enc", blob)?;
        match sidecar.user_info_by_username(&sid, &account.username).await {
            Ok(_) => {
                let aid = account.id.clone();
                env.db
                    .run(move |c| IgAccount::session_checked(c, &aid, now))
                    .await?;
            }
            Err(e) => {
                record_failure(env, &account.id, &e, now).await?;
                return Ok(Check {
                    ok: false,
                    code: Some(e.code().as_str().to_owned()),
                    message: ApiError::new(e.code()).message,
                });
            }
        }
    }
    if let Some(blob) = &account.token_enc {
        checked = true;
        let token = unseal(keyring, &account.id, "token_enc", blob)?;
        let (settings, secrets) = (env.settings.clone(), env.secrets.clone());
        let app = env
            .db
            .run(move |c| super::instagram_app(&secrets, c, String::new()))
            .await?;
        let Some(app) = app else {
            return Ok(Check {
                ok: false,
                code: Some("not_configured".into()),
                message: "The Instagram app is not set up.".into(),
            });
        };
        let ig = super::instagram(app, &settings)?;
        match ig.profile(&token).await {
            Ok(p) => {
                let aid = account.id.clone();
                env.db
                    .run(move |c| {
                        IgAccount::set_profile(c, &aid, &super::oauth::profile_update(&p), now)
                    })
                    .await?;
            }
            Err(e) => {
                if matches!(
                    e.kind,
                    ProviderErrorKind::Auth | ProviderErrorKind::TokenExpired
                ) {
                    let aid = account.id.clone();
                    let code = e.code().as_str().to_owned();
                    env.db
                        .run(move |c| {
                            IgAccount::mark_reconnect(
                                c,
                                &aid,
                                super::jobs::NOTICE_REJECTED,
                                &code,
                                now,
                            )
                        })
                        .await?;
                }
                return Ok(Check {
                    ok: false,
                    code: Some(e.code().as_str().to_owned()),
                    message: ApiError::new(e.code()).message,
                });
            }
        }
    }
    if !checked {
        return Ok(Check {
            ok: false,
            code: Some("no_link".into()),
            message: "This account has no live session or token to test; link it again.".into(),
        });
    }
    Ok(Check {
        ok: true,
        code: None,
        message: "The account's links work.".into(),
    })
}
