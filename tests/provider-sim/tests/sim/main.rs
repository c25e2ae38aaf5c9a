//! The sandbox over real HTTP: every route's shape, every fault kind, state, determinism, the binary.
//! One test binary (modules below) keeps the crate's compile light.

// A test crate: a failed unwrap is a failed test (helpers outside #[test] fns too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::new_without_default)]

mod determinism;
mod faults;
mod routes;
mod state;

use provider_sim::SimHandle;
use serde_json::{json, Value};

pub struct T {
    pub sim: SimHandle,
    pub c: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, k: &str) -> Option<String> {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl T {
    pub fn new() -> Self {
        Self::seeded(1)
    }

    pub fn seeded(seed: u64) -> Self {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        T {
            sim: provider_sim::spawn(seed),
            c,
        }
    }

    pub fn u(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    async fn done(r: reqwest::RequestBuilder) -> Resp {
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        Self::done(self.c.get(self.u(path))).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Resp {
        Self::done(self.c.get(self.u(path)).bearer_auth(token)).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let mut r = self.c.post(self.u(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Self::done(r).await
    }

    pub async fn send_form(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut r = self
            .c
            .request(m, self.u(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Self::done(r).await
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let r = self.post_json(&format!("/_sim/{path}"), None, &body).await;
        assert_eq!(r.status, 200, "control {path}: {}", r.text);
        r.json()
    }

    pub async fn fault(&self, f: Value) {
        self.control("faults", f).await;
    }

    pub async fn count(&self, provider: &str, route: &str) -> u64 {
        let r = self
            .get(&format!(
                "/_sim/requests/count?provider={provider}&route={route}"
            ))
            .await;
        r.json()["count"].as_u64().unwrap()
    }

    /// An OpenAI call with a plain prompt.
    pub async fn openai(&self, key: &str, prompt: &str) -> Resp {
        self.post_json(
            "/openai/v1/chat/completions",
            Some(key),
            &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}),
        )
        .await
    }
}

pub fn enc(s: &str) -> String {
    url_encode(s)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of a query parameter in a URL.
pub fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    let q = q.split('#').next().unwrap_or(q);
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap();
            out.push(h);
            i += 3;
        } else if b[i] == b'+' {
            out.push(b' ');
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn the_binary_prints_its_address_first_and_serves() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_provider-sim"))
        .args(["--bind", "127.0.0.1:0", "--seed", "3"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line}"))
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let health: Value = rt.block_on(async {
        reqwest::get(format!("http://{addr}/_sim/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(health["seed"], 3);
}
