//! A received request and the reply a route gives, independent of actix so every route is plain code.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use std::time::Duration;

/// One request as the sandbox sees it.
pub struct Req {
    pub method: String,
    /// The full path as received (with the provider prefix).
    pub path: String,
    /// The path below the provider prefix, starting with `/`.
    pub rest: String,
    pub query_string: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Req {
    pub fn from_actix(req: &HttpRequest, body: Bytes) -> Self {
        let query_string = req.query_string().to_string();
        let query = parse_pairs(query_string.as_bytes());
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Req {
            method: req.method().as_str().to_string(),
            path: req.path().to_string(),
            rest: String::new(),
            query_string,
            query,
            headers,
            body,
        }
    }

    /// The first query parameter with this name.
    pub fn q(&self, key: &str) -> Option<&str> {
        first(&self.query, key)
    }

    pub fn header(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body as form fields (`application/x-www-form-urlencoded`), in order, repeated names kept.
    pub fn form(&self) -> Vec<(String, String)> {
        parse_pairs(&self.body)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Form or JSON body fields merged (Telegram takes either), JSON scalars as text.
    pub fn fields(&self) -> Vec<(String, String)> {
        if let Some(Value::Object(map)) = self.json() {
            return map
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect();
        }
        self.form()
    }

    /// The token of an `Authorization: Bearer …` header.
    pub fn bearer(&self) -> Option<String> {
        let h = self.header("authorization")?.trim();
        let (scheme, token) = h.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            Some(token.trim().to_string())
        } else {
            None
        }
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn parse_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

pub enum Body {
    Json(Value),
    Text(String, &'static str),
    Empty,
    /// Hold the connection this long, then close it without a complete answer.
    Hang(Duration),
}

/// What a route answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    pub fn ok(v: Value) -> Self {
        Self::json(200, v)
    }

    pub fn text(status: u16, s: impl Into<String>, content_type: &'static str) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Text(s.into(), content_type),
        }
    }

    pub fn redirect(location: String) -> Self {
        Reply {
            status: 302,
            headers: vec![("Location".into(), location)],
            body: Body::Empty,
        }
    }

    pub fn hang(d: Duration) -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Hang(d),
        }
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }

    pub async fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut b = HttpResponse::build(status);
        for (k, v) in &self.headers {
            b.insert_header((k.as_str(), v.as_str()));
        }
        match self.body {
            Body::Json(v) => b
                .content_type("application/json; charset=utf-8")
                .body(v.to_string()),
            Body::Text(s, ct) => b.content_type(ct).body(s),
            Body::Empty => b.finish(),
            Body::Hang(d) => {
                actix_web::rt::time::sleep(d).await;
                // Close without a complete answer: the body fails after the head.
                let stream = futures_util::stream::once(async {
                    Err::<Bytes, actix_web::Error>(actix_web::error::ErrorGatewayTimeout(
                        "sandbox timeout fault",
                    ))
                });
                b.content_type("application/json").streaming(stream)
            }
        }
    }
}
