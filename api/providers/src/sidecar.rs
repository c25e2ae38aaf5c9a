//! The Instagram session sidecar (aiograpi-rest 2.x): credential logins with an optional 2FA code, sessions by id
//! (sent as `X-Session-ID`), settings, relogin, challenge resolution, user info, follow/unfollow, like/unlike,
//! hashtag medias and direct messages. Every instagrapi exception arrives as 500 with an `exc_type`, mapped here.

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::{join, Provider, ProviderErrorKind, ProviderResult};
use leadgen_core::config::Settings;
use reqwest::header::HeaderName;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

const SESSION_HEADER: HeaderName = HeaderName::from_static("x-session-id");

#[derive(Clone)]
pub struct Sidecar {
    http: Http,
    base: String,
}

/// An Instagram user as the sidecar returns it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct User {
    #[serde(deserialize_with = "id")]
    pub pk: String,
    pub username: String,
    pub full_name: Option<String>,
    pub is_private: Option<bool>,
    pub is_verified: Option<bool>,
    pub follower_count: Option<u64>,
    pub following_count: Option<u64>,
    pub media_count: Option<u64>,
    pub biography: Option<String>,
    pub external_url: Option<String>,
    pub is_business: Option<bool>,
    pub public_email: Option<String>,
    pub contact_phone_number: Option<String>,
    pub business_category_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Media {
    #[serde(deserialize_with = "id")]
    pub pk: String,
    pub id: String,
    pub code: Option<String>,
    pub taken_at: Option<String>,
    pub media_type: Option<u32>,
    pub user: Option<MediaUser>,
    pub like_count: Option<u64>,
    pub comment_count: Option<u64>,
    pub caption_text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct MediaUser {
    #[serde(deserialize_with = "id")]
    pub pk: String,
    pub username: String,
    pub full_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct DirectMessage {
    pub id: String,
    #[serde(deserialize_with = "id")]
    pub user_id: String,
    #[serde(deserialize_with = "id")]
    pub thread_id: String,
    pub timestamp: Option<String>,
    pub item_type: Option<String>,
    pub text: Option<String>,
}

/// Who a direct message goes to: exactly one of users or threads.
#[derive(Debug, Clone)]
pub enum Recipients {
    Users(Vec<String>),
    Threads(Vec<String>),
}

impl Sidecar {
    pub fn new(base: &str, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(Sidecar {
            http: Http::new(Provider::Sidecar, policy, classify)?,
            base: base.to_owned(),
        })
    }

    /// `None` when no sidecar is configured.
    pub fn from_settings(settings: &Settings) -> ProviderResult<Option<Self>> {
        settings
            .sidecar_base_url
            .as_deref()
            .map(|base| Sidecar::new(base, HttpPolicy::for_provider(Provider::Sidecar, settings)))
            .transpose()
    }

    fn req(
        &self,
        method: Method,
        op: &'static str,
        path: &str,
        session: Option<&SecretString>,
    ) -> Request {
        let req = Request::new(method, op, join(&self.base, path));
        match session {
            Some(s) => req.header_secret(SESSION_HEADER, s),
            None => req,
        }
    }

    async fn call<T: DeserializeOwned>(&self, req: Request) -> ProviderResult<T> {
        self.http.json(req).await
    }

    /// A session id from a `"<sessionid>"` answer; `false` means the login did not happen.
    async fn session_call(&self, req: Request) -> ProviderResult<SecretString> {
        let op = req.operation();
        match self.call::<Value>(req).await? {
            Value::String(s) if !s.is_empty() => Ok(SecretString::from(s)),
            Value::Bool(false) => {
                Err(self
                    .http
                    .error(op, ProviderErrorKind::Auth, "the sidecar answered false"))
            }
            _ => Err(self.http.error(
                op,
                ProviderErrorKind::InvalidResponse,
                "the answer is not a session id",
            )),
        }
    }

    /// The versions of the libraries the sidecar runs (`GET /version`, no session): proves it is there and answers.
    pub async fn version(&self) -> ProviderResult<Value> {
        self.call(self.req(Method::GET, "version", "/version", None))
            .await
    }

    /// Logs in with a password (and the 2FA code when Instagram asked for one); returns the session id.
    pub async fn login(
        &self,
        username: &str,
        password: &SecretString,
        verification_code: Option<&str>,
    ) -> ProviderResult<SecretString> {
        self.login_via(username, password, verification_code, None)
            .await
    }

    /// [`Sidecar::login`] through the account's proxy (`proxy`, a URL that may carry a password: redacted from
    /// traces like the password).
    pub async fn login_via(
        &self,
        username: &str,
        password: &SecretString,
        verification_code: Option<&str>,
        proxy: Option<&SecretString>,
    ) -> ProviderResult<SecretString> {
        let mut form = vec![
            ("username".to_owned(), username.to_owned()),
            ("password".to_owned(), password.expose_secret().to_owned()),
        ];
        if let Some(code) = verification_code {
            form.push(("verification_code".to_owned(), code.to_owned()));
        }
        if let Some(p) = proxy {
            form.push(("proxy".to_owned(), p.expose_secret().to_owned()));
        }
        let mut req = self
            .req(Method::POST, "auth_login", "/auth/login", None)
            .form(form)
            .secret(password.expose_secret());
        if let Some(p) = proxy {
            req = req.secret(p.expose_secret());
        }
        self.session_call(req).await
    }

    pub async fn login_by_session_id(
        &self,
        session: &SecretString,
    ) -> ProviderResult<SecretString> {
        let req = self
            .req(
                Method::POST,
                "auth_login_by_sessionid",
                "/auth/login/by/sessionid",
                None,
            )
            .form(vec![(
                "sessionid".to_owned(),
                session.expose_secret().to_owned(),
            )])
            .secret(session.expose_secret());
        self.session_call(req).await
    }

    /// The session's device and cookie settings (a JSON object to keep, encrypted, for `set_settings`).
    pub async fn settings(&self, session: &SecretString) -> ProviderResult<Value> {
        self.call(self.req(
            Method::GET,
            "auth_settings_get",
            "/auth/settings",
            Some(session),
        ))
        .await
    }

    /// Restores saved settings; returns the session id they stand for.
    pub async fn set_settings(
        &self,
        session: &SecretString,
        settings: &Value,
    ) -> ProviderResult<SecretString> {
        let req = self
            .req(
                Method::PATCH,
                "auth_settings_set",
                "/auth/settings",
                Some(session),
            )
            .form(vec![("settings".to_owned(), settings.to_string())]);
        // The settings carry the session id and cookies.
        let req = match settings
            .pointer("/authorization_data/sessionid")
            .and_then(Value::as_str)
        {
            Some(sid) => req.secret(sid),
            None => req,
        };
        self.session_call(req).await
    }

    pub async fn relogin(&self, session: &SecretString) -> ProviderResult<bool> {
        self.call(self.req(
            Method::PATCH,
            "auth_relogin",
            "/auth/relogin",
            Some(session),
        ))
        .await
    }

    /// Tells the sidecar the challenge was completed (`last_json` is the challenge answer it gave).
    pub async fn resolve_challenge(
        &self,
        session: Option<&SecretString>,
        last_json: &Value,
    ) -> ProviderResult<bool> {
        let req = self
            .req(
                Method::POST,
                "challenge_resolve",
                "/auth/challenge/resolve",
                session,
            )
            .form(vec![("last_json".to_owned(), last_json.to_string())]);
        self.call(req).await
    }

    pub async fn user_info(&self, session: &SecretString, user_id: &str) -> ProviderResult<User> {
        let req = self
            .req(Method::GET, "user_info", "/user/info", Some(session))
            .query("user_id", user_id);
        self.call(req).await
    }

    pub async fn user_info_by_username(
        &self,
        session: &SecretString,
        username: &str,
    ) -> ProviderResult<User> {
        let req = self
            .req(
                Method::GET,
                "user_info_by_username",
                "/user/info/by/username",
                Some(session),
            )
            .query("username", username);
        self.call(req).await
    }

    pub async fn follow(&self, session: &SecretString, user_id: &str) -> ProviderResult<bool> {
        let req = self
            .req(Method::POST, "user_follow", "/user/follow", Some(session))
            .form(vec![("user_id".to_owned(), user_id.to_owned())]);
        self.call(req).await
    }

    pub async fn unfollow(&self, session: &SecretString, user_id: &str) -> ProviderResult<bool> {
        let req = self
            .req(
                Method::DELETE,
                "user_unfollow",
                "/user/follow",
                Some(session),
            )
            .query("user_id", user_id);
        self.call(req).await
    }

    /// `media_id` is `<mediapk>_<userpk>`.
    pub async fn like(&self, session: &SecretString, media_id: &str) -> ProviderResult<bool> {
        let req = self
            .req(Method::POST, "media_like", "/media/like", Some(session))
            .form(vec![("media_id".to_owned(), media_id.to_owned())]);
        self.call(req).await
    }

    pub async fn unlike(&self, session: &SecretString, media_id: &str) -> ProviderResult<bool> {
        let req = self
            .req(Method::DELETE, "media_unlike", "/media/like", Some(session))
            .query("media_id", media_id);
        self.call(req).await
    }

    pub async fn hashtag_medias_top(
        &self,
        session: &SecretString,
        name: &str,
        amount: u32,
    ) -> ProviderResult<Vec<Media>> {
        self.hashtag_medias(session, "top", name, amount).await
    }

    pub async fn hashtag_medias_recent(
        &self,
        session: &SecretString,
        name: &str,
        amount: u32,
    ) -> ProviderResult<Vec<Media>> {
        self.hashtag_medias(session, "recent", name, amount).await
    }

    /// `GET /hashtag/medias/{top|recent}` (route `hashtag_medias_top` / `hashtag_medias_recent`).
    async fn hashtag_medias(
        &self,
        session: &SecretString,
        feed: &'static str,
        name: &str,
        amount: u32,
    ) -> ProviderResult<Vec<Media>> {
        let (route, path) = match feed {
            "top" => ("hashtag_medias_top", "/hashtag/medias/top"),
            _ => ("hashtag_medias_recent", "/hashtag/medias/recent"),
        };
        let req = self
            .req(Method::GET, route, path, Some(session))
            .query("name", name.trim_start_matches('#'))
            .query("amount", amount);
        self.call(req).await
    }

    pub async fn direct_message(
        &self,
        session: &SecretString,
        text: &str,
        to: &Recipients,
    ) -> ProviderResult<DirectMessage> {
        let mut form = vec![("text".to_owned(), text.to_owned())];
        let (key, ids) = match to {
            Recipients::Users(ids) => ("user_ids", ids),
            Recipients::Threads(ids) => ("thread_ids", ids),
        };
        form.extend(ids.iter().map(|id| (key.to_owned(), id.clone())));
        let req = self
            .req(
                Method::POST,
                "direct_message",
                "/direct/message",
                Some(session),
            )
            .form(form);
        self.call(req).await
    }
}

fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

/// `{"detail","exc_type"}` (500 for every instagrapi exception), 401 without a session, 422 on bad input.
fn classify(f: &Failure<'_>) -> Classified {
    let body = f.json().unwrap_or(Value::Null);
    let exc = body
        .get("exc_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let detail = match body.get("detail") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => f.text(),
    };
    let mut c = f.by_status(if exc.is_empty() {
        detail.clone()
    } else {
        format!("{exc}: {detail}")
    });
    let lower = detail.to_lowercase();
    c.kind = match exc {
        "ChallengeRequired"
        | "AccountSuspended"
        | "SelectContactPointRecoveryForm"
        | "RecaptchaChallengeForm" => ProviderErrorKind::ChallengeRequired,
        "TwoFactorRequired" => ProviderErrorKind::TwoFactorRequired,
        "LoginRequired" | "ReloginAttemptExceeded" => ProviderErrorKind::LoginRequired,
        "Exception" if lower.contains("session not found") || lower.contains("relogin") => {
            ProviderErrorKind::LoginRequired
        }
        "FeedbackRequired" | "SentryBlock" => ProviderErrorKind::ActionBlocked,
        "PleaseWaitFewMinutes" => ProviderErrorKind::PleaseWait,
        "BadPassword" | "BadCredentials" => ProviderErrorKind::Auth,
        "ClientThrottledError" | "RateLimitError" => ProviderErrorKind::RateLimited,
        "UserNotFound"
        | "MediaNotFound"
        | "MediaUnavailable"
        | "PrivateAccount"
        | "DirectThreadNotFound" => ProviderErrorKind::NotFound,
        "ProxyAddressIsBlocked" => ProviderErrorKind::ActionBlocked,
        "DirectMessageRequestsDisabled" | "ValidationError" => ProviderErrorKind::BadRequest,
        _ if lower.contains("please wait a few minutes") => ProviderErrorKind::PleaseWait,
        _ if f.status.as_u16() == 401 => ProviderErrorKind::LoginRequired,
        _ if f.status.as_u16() == 422 => ProviderErrorKind::BadRequest,
        // UnknownError, ClientError, a plain 500/503 without a known exception: try again.
        _ => c.kind,
    };
    c
}
