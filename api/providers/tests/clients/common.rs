#![allow(dead_code)]

use leadgen_providers::apify::Apify;
use leadgen_providers::google::{Gmail, GoogleApp, GoogleOAuth};
use leadgen_providers::instagram::{Instagram, InstagramApp};
use leadgen_providers::openai::OpenAi;
use leadgen_providers::perplexity::Perplexity;
use leadgen_providers::sidecar::Sidecar;
use leadgen_providers::telegram::Telegram;
use leadgen_providers::HttpPolicy;
use provider_sim::SimHandle;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Short timeouts and waits so that faults resolve quickly; two retries; a limiter that never binds.
pub fn policy() -> HttpPolicy {
    HttpPolicy {
        connect_timeout: Duration::from_secs(1),
        attempt_timeout: Duration::from_millis(1500),
        deadline: Duration::from_secs(15),
        max_retries: 2,
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
        rate_per_second: 10_000,
        burst: 10_000,
    }
}

pub struct Sim {
    pub handle: SimHandle,
    control: reqwest::Client,
}

impl Sim {
    pub fn start() -> Sim {
        Sim {
            handle: provider_sim::spawn(1),
            control: reqwest::Client::new(),
        }
    }

    pub fn url(&self, prefix: &str) -> String {
        self.handle.url(prefix)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let res = self
            .control
            .post(format!("{}/_sim/{path}", self.handle.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "control {path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    /// Injects a fault on one route, `times` times (0 = until cleared).
    pub async fn fault(&self, provider: &str, route: &str, kind: &str, times: u32, retry_after_secs: u64) {
        self.post(
            "faults",
            json!({"provider": provider, "route": route, "kind": kind, "times": times,
                   "retry_after_secs": retry_after_secs, "delay_ms": 0}),
        )
        .await;
    }

    pub async fn clear_faults(&self) {
        self.control
            .delete(format!("{}/_sim/faults", self.handle.base_url()))
            .send()
            .await
            .unwrap();
    }

    pub async fn flags(&self, flags: Value) {
        self.post("flags", flags).await;
    }

    pub async fn reset(&self) {
        self.post("reset", json!({})).await;
    }

    pub async fn post_control(&self, path: &str, body: Value) -> Value {
        self.post(path, body).await
    }

    /// Requests the sandbox received on a route.
    pub async fn count(&self, provider: &str, route: &str) -> u64 {
        let v: Value = self
            .control
            .get(format!(
                "{}/_sim/requests/count?provider={provider}&route={route}",
                self.handle.base_url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["count"].as_u64().unwrap()
    }

    pub async fn requests(&self, provider: &str, route: &str) -> Vec<Value> {
        let v: Value = self
            .control
            .get(format!(
                "{}/_sim/requests?provider={provider}&route={route}",
                self.handle.base_url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    pub fn instagram(&self) -> Instagram {
        Instagram::new(
            InstagramApp {
                client_id: "1234567890".into(),
                client_secret: secret("ig-app-secret-abc123"),
                redirect_uri: REDIRECT.into(),
            },
            &self.url("instagram-www"),
            &self.url("instagram-api"),
            &self.url("instagram-graph"),
            policy(),
        )
        .unwrap()
    }

    pub fn apify(&self) -> Apify {
        let mut a = Apify::new(&self.url("apify"), secret("apify_api_tokenABC123"), policy()).unwrap();
        a.options.poll_wait_secs = 0;
        a.options.poll_interval = Duration::from_millis(20);
        a.options.run_deadline = Duration::from_secs(10);
        a
    }

    pub fn perplexity(&self) -> Perplexity {
        Perplexity::new(&self.url("perplexity"), secret("pplx-secretkey123"), policy()).unwrap()
    }

    pub fn openai(&self) -> OpenAi {
        OpenAi::new(&self.url("openai"), secret("sk-test-secretkey123"), policy()).unwrap()
    }

    pub fn google(&self) -> GoogleOAuth {
        GoogleOAuth::new(
            GoogleApp {
                client_id: "client-1.apps.googleusercontent.com".into(),
                client_secret: secret("GOCSPX-secret123"),
                redirect_uri: REDIRECT.into(),
            },
            &self.url("google-accounts"),
            &self.url("google-oauth"),
            policy(),
        )
        .unwrap()
    }

    pub fn gmail(&self) -> Gmail {
        Gmail::new(&self.url("gmail"), policy()).unwrap()
    }

    pub fn sidecar(&self) -> Sidecar {
        Sidecar::new(&self.url("sidecar"), policy()).unwrap()
    }

    pub fn telegram(&self) -> Telegram {
        Telegram::new(&self.url("telegram"), secret("123456:AAsecretBotToken"), policy()).unwrap()
    }
}

/// Follows an OAuth authorize URL once (the sandbox approves at once) and returns the callback's query pairs.
pub async fn approve(authorize_url: &str) -> Vec<(String, String)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(authorize_url).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
