//! The new-session form: its shape, its checks (422 naming the field, e.g. `hashtags[3]`) and defaults, and the
//! cost estimate made from it.

use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::hashtag::normalise_hashtag;
use leadgen_db::models::processing_session::STAGES;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

pub const MAX_HASHTAGS: usize = 50;
pub const MAX_LEAD_IDS: usize = 5000;

/// Which profiles become leads.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionFilters {
    #[serde(default)]
    pub min_followers: Option<i64>,
    #[serde(default)]
    pub max_followers: Option<i64>,
    #[serde(default)]
    pub business_only: bool,
    /// Keep only leads with an e-mail or phone (after the contact search when that stage runs).
    #[serde(default)]
    pub require_contact: bool,
    #[serde(default = "yes")]
    pub skip_private: bool,
    /// `de` or `en`: keep profiles whose bio reads in this language (bios that read as neither are kept).
    #[serde(default)]
    pub bio_language: Option<String>,
}

fn yes() -> bool {
    true
}

impl Default for SessionFilters {
    fn default() -> Self {
        SessionFilters {
            min_followers: None,
            max_followers: None,
            business_only: false,
            require_contact: false,
            skip_private: true,
            bio_language: None,
        }
    }
}

/// Batches and pauses against detection.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionPacing {
    /// Profiles per batch (1-100, default 25).
    #[serde(default = "default_batch")]
    pub batch_size: i64,
    /// Shortest pause between batches in seconds (0-3600, default 20).
    #[serde(default = "default_pause_min")]
    pub pause_min_seconds: i64,
    /// Longest pause (≥ the shortest, ≤ 3600, default 60).
    #[serde(default = "default_pause_max")]
    pub pause_max_seconds: i64,
}

fn default_batch() -> i64 {
    25
}
fn default_pause_min() -> i64 {
    20
}
fn default_pause_max() -> i64 {
    60
}

impl Default for SessionPacing {
    fn default() -> Self {
        SessionPacing {
            batch_size: default_batch(),
            pause_min_seconds: default_pause_min(),
            pause_max_seconds: default_pause_max(),
        }
    }
}

/// A new processing session (also the body of the estimate).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionForm {
    /// Up to 200 characters; default "#tag1, #tag2 …".
    #[serde(default)]
    pub name: Option<String>,
    /// 1-50 hashtags: letters, digits and `_` after a leading `#` and spaces are dropped (lower-cased). Empty for
    /// a drafts-only run over `lead_ids`.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Collect the hashtags seen on crawled posts, for the user to add (`related-hashtags`).
    #[serde(default)]
    pub discover_related: bool,
    /// 1-1000, default 50.
    #[serde(default)]
    pub posts_per_hashtag: Option<i64>,
    /// 1-100000, default 200.
    #[serde(default)]
    pub max_new_leads: Option<i64>,
    #[serde(default)]
    pub filters: SessionFilters,
    /// The product whose prompt writes the e-mails; required when `stages` has `drafts`.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Of `crawl`, `enrich`, `contacts`, `dedupe`, `drafts`; default all (without `drafts` when no product).
    #[serde(default)]
    pub stages: Option<Vec<String>>,
    #[serde(default)]
    pub pacing: SessionPacing,
    /// A drafts-only run over these leads (at most 5000): `stages` must be `["drafts"]`, `hashtags` empty.
    #[serde(default)]
    pub lead_ids: Option<Vec<String>>,
}

/// The form after its checks: normalised hashtags, stages in run order, defaults filled in.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub hashtags: Vec<String>,
    pub stages: Vec<String>,
    pub product_id: Option<String>,
    pub lead_ids: Option<Vec<String>>,
    pub options: SessionOptions,
}

/// What a session runs with (stored as its `options`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq)]
pub struct SessionOptions {
    pub posts_per_hashtag: i64,
    pub max_new_leads: i64,
    pub filters: SessionFilters,
    pub pacing: SessionPacing,
    pub discover_related: bool,
}

impl SessionOptions {
    pub fn from_json(v: &Value) -> SessionOptions {
        serde_json::from_value(v.clone()).unwrap_or(SessionOptions {
            posts_per_hashtag: 50,
            max_new_leads: 200,
            filters: SessionFilters::default(),
            pacing: SessionPacing::default(),
            discover_related: false,
        })
    }
}

/// Field errors, all reported at once.
#[derive(Default)]
struct Errors(Map<String, Value>);

impl Errors {
    fn add(&mut self, field: &str, code: &str, message: &str) {
        let list = self.0.entry(field.to_owned()).or_insert_with(|| json!([]));
        if let Some(a) = list.as_array_mut() {
            a.push(json!({"code": code, "message": message}));
        }
    }
    fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_details(json!({ "fields": Value::Object(self.0) })))
        }
    }
}

fn range(e: &mut Errors, field: &str, v: Option<i64>, min: i64, max: i64, default: i64) -> i64 {
    let v = v.unwrap_or(default);
    if v < min || v > max {
        e.add(field, "out_of_range", &format!("Between {min} and {max}."));
    }
    v
}

/// Normalised hashtags (duplicates dropped), or the errors of the ones that are not hashtags.
pub fn check_hashtags(field: &str, raw: &[String], max: usize) -> ApiResult<Vec<String>> {
    let mut e = Errors::default();
    let tags = hashtags_into(&mut e, field, raw, max);
    e.into_result().map(|_| tags)
}

fn hashtags_into(e: &mut Errors, field: &str, raw: &[String], max: usize) -> Vec<String> {
    if raw.len() > max {
        e.add(field, "too_many", &format!("At most {max} hashtags."));
        return vec![];
    }
    let mut out: Vec<String> = Vec::new();
    for (i, h) in raw.iter().enumerate() {
        match normalise_hashtag(h) {
            Some(t) => {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            None => e.add(
                &format!("{field}[{i}]"),
                "invalid_hashtag",
                "1-100 letters, digits or '_' (a leading '#' is dropped).",
            ),
        }
    }
    out
}

impl SessionForm {
    /// Checks everything that does not need the database (the product and leads are checked by the caller).
    pub fn check(self) -> ApiResult<Checked> {
        let mut e = Errors::default();
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            e.add("name", "too_long", "At most 200 characters.");
        }
        let posts_per_hashtag = range(
            &mut e,
            "posts_per_hashtag",
            self.posts_per_hashtag,
            1,
            1000,
            50,
        );
        let max_new_leads = range(&mut e, "max_new_leads", self.max_new_leads, 1, 100_000, 200);
        let f = &self.filters;
        for (field, v) in [
            ("filters.min_followers", f.min_followers),
            ("filters.max_followers", f.max_followers),
        ] {
            if v.is_some_and(|v| v < 0) {
                e.add(field, "out_of_range", "0 or more.");
            }
        }
        if let (Some(lo), Some(hi)) = (f.min_followers, f.max_followers) {
            if lo >= 0 && hi >= 0 && hi < lo {
                e.add(
                    "filters.max_followers",
                    "out_of_range",
                    "At least the minimum.",
                );
            }
        }
        let mut filters = f.clone();
        filters.bio_language = f
            .bio_language
            .as_deref()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty());
        if filters
            .bio_language
            .as_deref()
            .is_some_and(|l| l != "de" && l != "en")
        {
            e.add("filters.bio_language", "invalid", "Either de or en.");
        }
        let p = &self.pacing;
        if !(1..=100).contains(&p.batch_size) {
            e.add("pacing.batch_size", "out_of_range", "Between 1 and 100.");
        }
        if !(0..=3600).contains(&p.pause_min_seconds) {
            e.add(
                "pacing.pause_min_seconds",
                "out_of_range",
                "Between 0 and 3600.",
            );
        }
        if !(0..=3600).contains(&p.pause_max_seconds) {
            e.add(
                "pacing.pause_max_seconds",
                "out_of_range",
                "Between 0 and 3600.",
            );
        } else if p.pause_max_seconds < p.pause_min_seconds {
            e.add(
                "pacing.pause_max_seconds",
                "out_of_range",
                "At least the shortest pause.",
            );
        }
        let product_id = self
            .product_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        // Stages: known ones, each once, in run order.
        let mut stages: Vec<String> = match &self.stages {
            Some(list) => {
                if list.is_empty() {
                    e.add("stages", "required", "Pick at least one stage.");
                }
                for (i, s) in list.iter().enumerate() {
                    if !STAGES.contains(&s.as_str()) {
                        e.add(
                            &format!("stages[{i}]"),
                            "invalid",
                            "One of crawl, enrich, contacts, dedupe, drafts.",
                        );
                    }
                }
                STAGES
                    .iter()
                    .filter(|s| list.iter().any(|x| x == *s))
                    .map(|s| s.to_string())
                    .collect()
            }
            None => STAGES
                .iter()
                .filter(|s| **s != "drafts" || product_id.is_some())
                .map(|s| s.to_string())
                .collect(),
        };
        if stages.iter().any(|s| s == "drafts") && product_id.is_none() {
            e.add(
                "product_id",
                "required",
                "Pick the product the e-mails are about.",
            );
        }
        let mut hashtags = vec![];
        let lead_ids = match &self.lead_ids {
            Some(ids) => {
                if ids.is_empty() {
                    e.add("lead_ids", "required", "Pick at least one lead.");
                } else if ids.len() > MAX_LEAD_IDS {
                    e.add("lead_ids", "too_many", "At most 5000 leads.");
                }
                if stages != ["drafts"] {
                    e.add(
                        "stages",
                        "invalid",
                        "A run over selected leads has the stage drafts only.",
                    );
                }
                if !self.hashtags.is_empty() {
                    e.add(
                        "hashtags",
                        "invalid",
                        "A run over selected leads has no hashtags.",
                    );
                }
                let mut unique: Vec<String> = vec![];
                for id in ids {
                    let id = id.trim().to_owned();
                    if !unique.contains(&id) {
                        unique.push(id);
                    }
                }
                Some(unique)
            }
            None => {
                if self.hashtags.is_empty() {
                    e.add("hashtags", "required", "Enter at least one hashtag.");
                } else {
                    hashtags = hashtags_into(&mut e, "hashtags", &self.hashtags, MAX_HASHTAGS);
                }
                if !stages.iter().any(|s| s == "crawl") && !stages.is_empty() {
                    e.add(
                        "stages",
                        "invalid",
                        "A run over hashtags starts with crawl.",
                    );
                }
                None
            }
        };
        e.into_result()?;
        stages.dedup();
        let name = name.unwrap_or_else(|| match &lead_ids {
            Some(ids) => format!(
                "Drafts for {}",
                leadgen_core::text::count(ids.len() as i64, "lead", "leads")
            ),
            None => {
                let mut n: String = hashtags
                    .iter()
                    .take(5)
                    .map(|h| format!("#{h}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                if hashtags.len() > 5 {
                    n.push_str(&format!(" +{}", hashtags.len() - 5));
                }
                n
            }
        });
        Ok(Checked {
            name,
            hashtags,
            stages,
            product_id,
            lead_ids,
            options: SessionOptions {
                posts_per_hashtag,
                max_new_leads,
                filters,
                pacing: self.pacing.clone(),
                discover_related: self.discover_related,
            },
        })
    }
}

/// Unit prices in US dollars.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub apify_run: f64,
    pub apify_posts_per_1000: f64,
    pub apify_profiles_per_1000: f64,
    pub perplexity_call: f64,
    pub openai_call: f64,
}

/// One line of an estimate.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateLine {
    pub provider: String,
    pub what: String,
    pub count: i64,
    pub unit_price_usd: f64,
    pub cost_usd: f64,
}

/// What a session would cost at most (upper bounds: fewer profiles than posts are usually found, and not every
/// lead needs a contact search).
#[derive(Debug, Serialize, ToSchema)]
pub struct Estimate {
    pub apify_runs: i64,
    pub profiles: i64,
    pub perplexity_calls: i64,
    pub openai_calls: i64,
    pub cost_usd: f64,
    pub lines: Vec<EstimateLine>,
}

fn round_cents(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

pub fn estimate(c: &Checked, p: &Prices) -> Estimate {
    let has = |s: &str| c.stages.iter().any(|x| x == s);
    let o = &c.options;
    let tags = c.hashtags.len() as i64;
    let posts = tags * o.posts_per_hashtag;
    let profiles = if has("enrich") {
        posts.min(o.max_new_leads)
    } else {
        0
    };
    let batches = (profiles + o.pacing.batch_size - 1) / o.pacing.batch_size.max(1);
    let perplexity_calls = if has("contacts") { profiles } else { 0 };
    let openai_calls = if has("drafts") {
        match &c.lead_ids {
            Some(ids) => ids.len() as i64,
            None => profiles,
        }
    } else {
        0
    };
    let mut lines = vec![];
    let mut line = |provider: &str, what: &str, count: i64, unit: f64| {
        if count > 0 {
            lines.push(EstimateLine {
                provider: provider.into(),
                what: what.into(),
                count,
                unit_price_usd: unit,
                cost_usd: round_cents(count as f64 * unit),
            });
        }
    };
    let crawl_runs = if has("crawl") { tags } else { 0 };
    line("apify", "hashtag scraper runs", crawl_runs, p.apify_run);
    line(
        "apify",
        "hashtag posts",
        if has("crawl") { posts } else { 0 },
        p.apify_posts_per_1000 / 1000.0,
    );
    line("apify", "profile scraper runs", batches, p.apify_run);
    line(
        "apify",
        "profiles",
        profiles,
        p.apify_profiles_per_1000 / 1000.0,
    );
    line(
        "perplexity",
        "contact searches",
        perplexity_calls,
        p.perplexity_call,
    );
    line("openai", "e-mail drafts", openai_calls, p.openai_call);
    let cost_usd = round_cents(lines.iter().map(|l| l.cost_usd).sum());
    Estimate {
        apify_runs: crawl_runs + batches,
        profiles,
        perplexity_calls,
        openai_calls,
        cost_usd,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(v: Value) -> SessionForm {
        serde_json::from_value(v).unwrap()
    }

    fn fields(e: ApiError) -> Vec<String> {
        let mut f: Vec<String> = e.details.unwrap()["fields"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        f.sort();
        f
    }

    #[test]
    fn hashtags_are_normalised_and_bad_ones_named() {
        let c = form(json!({"hashtags": ["#Yoga", " fitness ", "yoga"]}))
            .check()
            .unwrap();
        assert_eq!(c.hashtags, vec!["yoga", "fitness"]);
        assert_eq!(c.stages, vec!["crawl", "enrich", "contacts", "dedupe"]);
        let e = form(json!({"hashtags": ["ok", "#", "   ", "a-b"]}))
            .check()
            .unwrap_err();
        assert_eq!(fields(e), vec!["hashtags[1]", "hashtags[2]", "hashtags[3]"]);
        let many: Vec<String> = (0..500).map(|i| format!("t{i}")).collect();
        let e = form(json!({ "hashtags": many })).check().unwrap_err();
        assert_eq!(fields(e), vec!["hashtags"]);
        let e = form(json!({"hashtags": []})).check().unwrap_err();
        assert_eq!(fields(e), vec!["hashtags"]);
    }

    #[test]
    fn limits_and_pacing_are_checked() {
        let e = form(json!({"hashtags": ["a"], "max_new_leads": -1, "posts_per_hashtag": 0,
            "filters": {"min_followers": -5}, "pacing": {"pause_min_seconds": 30, "pause_max_seconds": 10}}))
        .check()
        .unwrap_err();
        assert_eq!(
            fields(e),
            vec![
                "filters.min_followers",
                "max_new_leads",
                "pacing.pause_max_seconds",
                "posts_per_hashtag"
            ]
        );
        let e = form(json!({"hashtags": ["a"], "stages": ["crawl", "drafts"]}))
            .check()
            .unwrap_err();
        assert_eq!(fields(e), vec!["product_id"]);
    }

    #[test]
    fn estimate_adds_up() {
        let c = form(
            json!({"hashtags": ["a", "b"], "posts_per_hashtag": 50, "max_new_leads": 60,
            "product_id": "p", "stages": ["crawl", "enrich", "contacts", "dedupe", "drafts"]}),
        )
        .check()
        .unwrap();
        let p = Prices {
            apify_run: 0.01,
            apify_posts_per_1000: 2.0,
            apify_profiles_per_1000: 3.0,
            perplexity_call: 0.005,
            openai_call: 0.002,
        };
        let e = estimate(&c, &p);
        assert_eq!((e.apify_runs, e.profiles), (2 + 3, 60));
        assert_eq!((e.perplexity_calls, e.openai_calls), (60, 60));
        // 5 runs × 0.01 + 100 posts × 0.002 + 60 profiles × 0.003 + 60 × 0.005 + 60 × 0.002
        assert!((e.cost_usd - (0.05 + 0.2 + 0.18 + 0.3 + 0.12)).abs() < 1e-9);
    }
}
