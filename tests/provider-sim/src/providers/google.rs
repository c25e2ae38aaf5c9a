//! Google OAuth: the consent page (approves at once) and the token endpoint (code exchange, refresh).
//! Codes and tokens carry the mailbox address, so each linked mailbox is its own Gmail state.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;

use super::err;
use crate::errors::{check_credential, Kind};
use crate::http::{first, Reply, Req};
use crate::state::State;

pub const DEFAULT_MAILBOX: &str = "sandbox.user@gmail.com";

pub struct IssuedCode {
    pub email: String,
    pub scope: String,
    pub redirect_uri: String,
    pub offline: bool,
    pub used: bool,
}

#[derive(Default)]
pub struct GoogleState {
    pub codes: HashMap<String, IssuedCode>,
    /// Numbers codes and tokens.
    pub counter: u64,
    /// Consents given without a `login_hint`: the first is `sandbox.user@gmail.com`, the next `sandbox.user2@…`
    /// (token calls do not move it).
    pub consents: u64,
}

/// The mailbox address a code or token (`…sim.<base64url(email)>.<n>…`) stands for.
pub fn email_of_token(token: &str) -> String {
    let Some(pos) = token.find("sim.") else {
        return DEFAULT_MAILBOX.into();
    };
    let enc = token[pos + 4..].split('.').next().unwrap_or("");
    URL_SAFE_NO_PAD
        .decode(enc)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|e| e.contains('@'))
        .unwrap_or_else(|| DEFAULT_MAILBOX.into())
}

fn html_error(status: u16, title: &str, detail: &str) -> Reply {
    Reply::text(
        status,
        format!(
            "<!doctype html><title>{title}</title><h1>Access blocked: {title}</h1><p>{detail}</p>"
        ),
        "text/html; charset=utf-8",
    )
}

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    match route {
        "authorize" => authorize(st, req),
        "token" => token(st, req),
        _ => super::not_found(st, "google", route),
    }
}

fn authorize(st: &mut State, req: &Req) -> Reply {
    for p in ["client_id", "redirect_uri", "response_type", "scope"] {
        if req.q(p).is_none_or(str::is_empty) {
            return html_error(
                400,
                "Error 400: invalid_request",
                &format!("Missing required parameter: {p}"),
            );
        }
    }
    if req.q("client_id").is_some_and(|c| c.contains("invalid")) {
        return html_error(
            401,
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        );
    }
    let redirect = req.q("redirect_uri").unwrap_or_default().to_string();
    let Ok(mut url) = url::Url::parse(&redirect) else {
        return html_error(
            400,
            "Error 400: redirect_uri_mismatch",
            "Invalid redirect_uri",
        );
    };
    let state = req.q("state").map(str::to_string);
    let scope = req.q("scope").unwrap_or_default().to_string();
    if st.flags.oauth_deny {
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("error", "access_denied");
            if let Some(s) = &state {
                q.append_pair("state", s);
            }
        }
        return Reply::redirect(url.to_string());
    }
    let n = st.google.counter;
    st.google.counter += 1;
    let email = match req.q("login_hint").filter(|h| h.contains('@')) {
        Some(h) => h.to_string(),
        None => {
            let k = st.google.consents;
            st.google.consents += 1;
            if k == 0 {
                DEFAULT_MAILBOX.to_string()
            } else {
                format!("sandbox.user{}@gmail.com", k + 1)
            }
        }
    };
    let offline = req.q("access_type") == Some("offline");
    let code = format!("4/0Asim.{}.{n}", URL_SAFE_NO_PAD.encode(email.as_bytes()));
    st.google.codes.insert(
        code.clone(),
        IssuedCode {
            email,
            scope: scope.clone(),
            redirect_uri: redirect,
            offline,
            used: false,
        },
    );
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = &state {
            q.append_pair("state", s);
        }
        q.append_pair("code", &code);
        q.append_pair("scope", &scope);
    }
    Reply::redirect(url.to_string())
}

fn grant_error(desc: &str) -> Reply {
    Reply::json(
        400,
        json!({"error": "invalid_grant", "error_description": desc}),
    )
}

fn token(st: &mut State, req: &Req) -> Reply {
    let form = req.form();
    let get = |k: &str| first(&form, k).unwrap_or_default().to_string();
    if get("client_id").is_empty() {
        return Reply::json(
            400,
            json!({"error": "invalid_request", "error_description": "Could not determine client ID from request."}),
        );
    }
    if check_credential(first(&form, "client_secret")).is_err() {
        return err(st, "google", "token", Kind::InvalidToken);
    }
    st.google.counter += 1;
    let n = st.google.counter;
    match get("grant_type").as_str() {
        "authorization_code" => {
            let code = get("code");
            if code.is_empty() {
                return Reply::json(
                    400,
                    json!({"error": "invalid_request", "error_description": "Missing required parameter: code"}),
                );
            }
            if code.contains("invalid") {
                return grant_error("Malformed auth code.");
            }
            if code.contains("expired") {
                return grant_error("Token has been expired or revoked.");
            }
            let (email, scope, offline) = match st.google.codes.get_mut(&code) {
                Some(c) => {
                    if c.used {
                        return grant_error("Bad Request");
                    }
                    if c.redirect_uri != get("redirect_uri") {
                        return Reply::json(
                            400,
                            json!({"error": "redirect_uri_mismatch", "error_description": "Bad Request"}),
                        );
                    }
                    c.used = true;
                    (c.email.clone(), c.scope.clone(), c.offline)
                }
                None => (
                    email_of_token(&code),
                    "https://www.googleapis.com/auth/gmail.send".to_string(),
                    true,
                ),
            };
            let enc = URL_SAFE_NO_PAD.encode(email.as_bytes());
            let mut out = json!({
                "access_token": format!("ya29.sim.{enc}.{n}"),
                "expires_in": 3599,
                "scope": scope,
                "token_type": "Bearer",
            });
            if offline {
                out["refresh_token"] = json!(format!("1//sim.{enc}.{n}"));
            }
            Reply::ok(out)
        }
        "refresh_token" => {
            let rt = get("refresh_token");
            if rt.is_empty() {
                return Reply::json(
                    400,
                    json!({"error": "invalid_request", "error_description": "Missing required parameter: refresh_token"}),
                );
            }
            if rt.contains("invalid") || rt.contains("expired") {
                return grant_error("Token has been expired or revoked.");
            }
            let email = email_of_token(&rt);
            let enc = URL_SAFE_NO_PAD.encode(email.as_bytes());
            Reply::ok(json!({
                "access_token": format!("ya29.sim.{enc}.{n}"),
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly",
                "token_type": "Bearer",
            }))
        }
        other => Reply::json(
            400,
            json!({"error": "unsupported_grant_type", "error_description": format!("Invalid grant_type: {other}")}),
        ),
    }
}
