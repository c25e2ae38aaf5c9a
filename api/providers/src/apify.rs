//! Apify: the Instagram hashtag and profile scrapers. A sync run (`run-sync-get-dataset-items`) for short jobs; an
//! async run, polled until it ends, whose dataset is read page by page, for long ones — and when a sync run answers
//! 408 (it took longer than Apify waits) the same input continues as an async run.

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::{join, Provider, ProviderErrorKind, ProviderResult};
use leadgen_core::config::Settings;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const DEFAULT_HASHTAG_ACTOR: &str = "apify~instagram-hashtag-scraper";
pub const DEFAULT_PROFILE_ACTOR: &str = "apify~instagram-profile-scraper";

/// How runs are waited for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Seconds Apify holds a sync request (it answers 408 past 300 s).
    pub sync_timeout_secs: u32,
    /// `waitForFinish` of each poll (Apify caps it at 60 s).
    pub poll_wait_secs: u32,
    /// Pause between polls that came back without the run finished.
    pub poll_interval: Duration,
    /// Longest an async run is waited for in all.
    pub run_deadline: Duration,
    /// Items per dataset page.
    pub page_size: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            sync_timeout_secs: 300,
            poll_wait_secs: 60,
            poll_interval: Duration::from_secs(2),
            run_deadline: Duration::from_secs(3600),
            page_size: 1000,
        }
    }
}

#[derive(Clone)]
pub struct Apify {
    http: Http,
    base: String,
    token: SecretString,
    pub hashtag_actor: String,
    pub profile_actor: String,
    pub options: RunOptions,
}

/// Input of the hashtag scraper (tags without `#`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HashtagInput {
    pub hashtags: Vec<String>,
    pub results_limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_posts_newer_than: Option<String>,
}

/// One post of the hashtag scraper. Every field is optional: the actor's output is not a contract.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HashtagPost {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub short_code: Option<String>,
    pub url: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Vec<String>,
    pub mentions: Vec<String>,
    pub likes_count: Option<i64>,
    pub comments_count: Option<i64>,
    pub timestamp: Option<String>,
    pub owner_username: Option<String>,
    pub owner_id: Option<String>,
    pub owner_full_name: Option<String>,
    pub display_url: Option<String>,
}

/// One profile of the profile scraper. The contact fields are unconfirmed: absent is normal.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfileItem {
    pub id: Option<String>,
    pub username: Option<String>,
    pub url: Option<String>,
    pub full_name: Option<String>,
    pub biography: Option<String>,
    pub external_url: Option<String>,
    pub followers_count: Option<u64>,
    pub follows_count: Option<u64>,
    pub posts_count: Option<u64>,
    pub is_business_account: Option<bool>,
    pub business_category_name: Option<String>,
    pub private: Option<bool>,
    pub verified: Option<bool>,
    pub profile_pic_url: Option<String>,
    pub business_email: Option<String>,
    pub public_email: Option<String>,
    pub business_phone_number: Option<String>,
}

impl ProfileItem {
    /// The e-mail to reach the profile at: a contact field, else the first address a reader can make out of the
    /// biography (plain or hidden, see [`leadgen_core::contacts`]).
    pub fn email(&self) -> Option<String> {
        self.business_email
            .clone()
            .or_else(|| self.public_email.clone())
            .filter(|e| !e.trim().is_empty())
            .or_else(|| {
                self.biography.as_deref().and_then(|bio| {
                    leadgen_core::contacts::extract(bio)
                        .emails
                        .into_iter()
                        .next()
                })
            })
    }
}

/// An actor run (`{"data": Run}`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    #[serde(default)]
    pub act_id: Option<String>,
    pub status: String,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub default_dataset_id: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl Run {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status.as_str(),
            "SUCCEEDED" | "FAILED" | "TIMED-OUT" | "ABORTED"
        )
    }
}

#[derive(Deserialize)]
struct RunEnvelope {
    data: Run,
}

/// One page of a dataset.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub offset: usize,
    /// `X-Apify-Pagination-Total` when sent.
    pub total: Option<usize>,
}

impl Apify {
    pub fn new(base: &str, token: SecretString, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(Apify {
            http: Http::new(Provider::Apify, policy, classify)?,
            base: base.to_owned(),
            token,
            hashtag_actor: DEFAULT_HASHTAG_ACTOR.to_owned(),
            profile_actor: DEFAULT_PROFILE_ACTOR.to_owned(),
            options: RunOptions::default(),
        })
    }

    pub fn from_settings(token: SecretString, settings: &Settings) -> ProviderResult<Self> {
        let mut a = Apify::new(
            &settings.apify_base_url,
            token,
            HttpPolicy::for_provider(Provider::Apify, settings),
        )?;
        a.hashtag_actor = settings.apify_hashtag_actor.clone();
        a.profile_actor = settings.apify_profile_actor.clone();
        Ok(a)
    }

    /// The same client with another token (shares the connection pool and the rate limiter).
    pub fn with_token(&self, token: SecretString) -> Self {
        Apify {
            token,
            ..self.clone()
        }
    }

    /// Posts of hashtags (sync run, continuing as async on 408).
    pub async fn scrape_hashtags(&self, input: &HashtagInput) -> ProviderResult<Vec<HashtagPost>> {
        let input = serde_json::to_value(input).unwrap_or(Value::Null);
        self.run_sync(&self.hashtag_actor, &input).await
    }

    /// Profiles by username (sync run, continuing as async on 408).
    pub async fn scrape_profiles(&self, usernames: &[String]) -> ProviderResult<Vec<ProfileItem>> {
        self.run_sync(&self.profile_actor, &json!({ "usernames": usernames }))
            .await
    }

    /// Runs an actor and returns its dataset. A 408 (longer than Apify holds a sync request) continues the
    /// same input as an async run: start, poll until it ends, read the dataset page by page.
    pub async fn run_sync<T: DeserializeOwned>(
        &self,
        actor: &str,
        input: &Value,
    ) -> ProviderResult<Vec<T>> {
        let wait = self.options.sync_timeout_secs;
        let req = Request::post(
            "run_sync",
            join(
                &self.base,
                &format!("/v2/acts/{actor}/run-sync-get-dataset-items"),
            ),
        )
        .bearer(&self.token)
        .query("timeout", wait)
        .query("format", "json")
        .query("clean", "true")
        .json(input)
        .no_retry_on_408()
        .attempt_timeout(self.http.policy().attempt_timeout + Duration::from_secs(wait.into()))
        .deadline(self.http.policy().deadline + Duration::from_secs(wait.into()));
        match self.http.send(req).await {
            Ok(reply) => self.http.parse("run_sync", &reply),
            Err(e) if e.status == Some(StatusCode::REQUEST_TIMEOUT.as_u16()) => {
                tracing::info!(actor, "sync run answered 408; continuing as an async run");
                self.run_and_collect(actor, input).await
            }
            Err(e) => Err(e),
        }
    }

    /// Starts a run, waits for it to end, and reads its whole dataset.
    pub async fn run_and_collect<T: DeserializeOwned>(
        &self,
        actor: &str,
        input: &Value,
    ) -> ProviderResult<Vec<T>> {
        let run = self.start_run(actor, input).await?;
        let run = self.wait_for_run(&run.id).await?;
        let Some(dataset) = run.default_dataset_id.as_deref() else {
            return Err(self.http.error(
                "run_get",
                ProviderErrorKind::InvalidResponse,
                "the finished run names no dataset",
            ));
        };
        self.all_items(dataset).await
    }

    pub async fn start_run(&self, actor: &str, input: &Value) -> ProviderResult<Run> {
        let req = Request::post(
            "run_async",
            join(&self.base, &format!("/v2/acts/{actor}/runs")),
        )
        .bearer(&self.token)
        .json(input);
        let env: RunEnvelope = self.http.json(req).await?;
        Ok(env.data)
    }

    pub async fn get_run(&self, run_id: &str, wait_secs: u32) -> ProviderResult<Run> {
        let req = Request::get(
            "run_get",
            join(&self.base, &format!("/v2/actor-runs/{run_id}")),
        )
        .bearer(&self.token)
        .query("waitForFinish", wait_secs)
        .attempt_timeout(
            self.http.policy().attempt_timeout + Duration::from_secs(wait_secs.into()),
        );
        let env: RunEnvelope = self.http.json(req).await?;
        Ok(env.data)
    }

    /// Polls until the run ends; SUCCEEDED is returned, any other end is a `RunFailed` error.
    pub async fn wait_for_run(&self, run_id: &str) -> ProviderResult<Run> {
        let started = Instant::now();
        loop {
            let run = self.get_run(run_id, self.options.poll_wait_secs).await?;
            if run.is_terminal() {
                if run.status == "SUCCEEDED" {
                    return Ok(run);
                }
                return Err(self.http.error(
                    "run_get",
                    ProviderErrorKind::RunFailed,
                    format!(
                        "run {run_id} ended {}: {}",
                        run.status,
                        run.status_message.unwrap_or_default()
                    ),
                ));
            }
            if started.elapsed() + self.options.poll_interval > self.options.run_deadline {
                return Err(self.http.error(
                    "run_get",
                    ProviderErrorKind::Transient,
                    format!("run {run_id} still {} after the wait allowed", run.status),
                ));
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    pub async fn dataset_page<T: DeserializeOwned>(
        &self,
        dataset_id: &str,
        offset: usize,
        limit: usize,
    ) -> ProviderResult<Page<T>> {
        let req = Request::get(
            "dataset_items",
            join(&self.base, &format!("/v2/datasets/{dataset_id}/items")),
        )
        .bearer(&self.token)
        .query("format", "json")
        .query("clean", "true")
        .query("offset", offset)
        .query("limit", limit);
        let reply = self.http.send(req).await?;
        let total = reply
            .headers
            .get("x-apify-pagination-total")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Page {
            items: self.http.parse("dataset_items", &reply)?,
            offset,
            total,
        })
    }

    /// Every item of a dataset, page by page.
    pub async fn all_items<T: DeserializeOwned>(&self, dataset_id: &str) -> ProviderResult<Vec<T>> {
        let limit = self.options.page_size.max(1);
        let mut out = Vec::new();
        loop {
            let page: Page<T> = self.dataset_page(dataset_id, out.len(), limit).await?;
            let n = page.items.len();
            out.extend(page.items);
            let done = match page.total {
                Some(total) => out.len() >= total,
                None => n < limit,
            };
            if done || n == 0 {
                return Ok(out);
            }
        }
    }
}

/// `{"error":{"type","message"}}`: 402 and the usage types are credits; 401/403 the token; 408 a long sync run.
fn classify(f: &Failure<'_>) -> Classified {
    let ty = f.str_at("/error/type");
    let message = f.message_at("/error/message");
    let mut c = f.by_status(format!("{ty}: {message}"));
    if f.status.as_u16() == 402
        || ty.contains("not-enough-usage")
        || ty.contains("usage-limit")
        || ty.contains("limit-exceeded") && f.status.as_u16() == 403
    {
        c.kind = ProviderErrorKind::QuotaExceeded;
    } else if ty == "record-not-found" {
        c.kind = ProviderErrorKind::NotFound;
    }
    c
}
