//! Everything the sandbox remembers: flags, faults, recorded requests and each provider's state.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::providers::{apify, gmail, google, instagram, sidecar};

/// Switches for the shapes the reference could not confirm, and other behaviour a test may want.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flags {
    /// Instagram code exchange: `data` (documented `{"data":[…]}`) or `flat` (observed `{"access_token","user_id":<int>}`).
    pub instagram_token_envelope: String,
    /// Every DM send fails with the messaging-window error (code 10, subcode 2534022).
    pub instagram_messaging_window_closed: bool,
    /// Perplexity answers carry `citations[]`.
    pub perplexity_citations: bool,
    /// Perplexity answers carry `search_results[]`.
    pub perplexity_search_results: bool,
    /// Perplexity content starts with `<think>…</think>` (as `sonar-reasoning*` may).
    pub perplexity_think_prefix: bool,
    /// Status of Perplexity's out-of-credits answer (401 or 402).
    pub perplexity_out_of_credits_status: u16,
    /// OpenAI content starts with `<think>…</think>`.
    pub openai_think_prefix: bool,
    /// OpenAI answers with `message.refusal` set and `content: null`.
    pub openai_refusal: bool,
    /// Apify profile items carry `businessEmail`/`publicEmail`/`businessPhoneNumber`.
    pub apify_contact_fields: bool,
    /// How many run polls an async Apify run takes to finish (READY → RUNNING → final).
    pub apify_polls_to_finish: u32,
    /// The terminal status of async Apify runs: SUCCEEDED, FAILED, TIMED-OUT or ABORTED.
    pub apify_final_status: String,
    /// OAuth authorize pages (Instagram, Google) deny instead of approving.
    pub oauth_deny: bool,
    /// 0: hashtag posts are by accounts of the seed's pool (120, overlapping between tags). N > 0: every hashtag
    /// has N posts, each by an account of its own (`{tag}.creator{i}`), for pipeline runs over many profiles.
    #[serde(default)]
    pub apify_hashtag_unique_owners: u64,
    /// The data seed (changing it changes every generated profile, post and answer).
    pub seed: u64,
}

impl Flags {
    pub fn new(seed: u64) -> Self {
        Flags {
            instagram_token_envelope: "data".into(),
            instagram_messaging_window_closed: false,
            perplexity_citations: true,
            perplexity_search_results: true,
            perplexity_think_prefix: false,
            perplexity_out_of_credits_status: 402,
            openai_think_prefix: false,
            openai_refusal: false,
            apify_contact_fields: true,
            apify_polls_to_finish: 2,
            apify_final_status: "SUCCEEDED".into(),
            oauth_deny: false,
            apify_hashtag_unique_owners: 0,
            seed,
        }
    }
}

pub const FAULT_KINDS: &[&str] = &[
    "rate_limited",
    "server_error",
    "unavailable",
    "slow",
    "timeout",
    "malformed_json",
    "invalid_token",
    "expired_token",
    "out_of_credits",
    "apify_408",
    "bad_request",
    "not_found",
    "challenge_required",
    "two_factor_required",
    "login_required",
    "feedback_required",
    "please_wait",
    "bad_password",
    "client_throttled",
];

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub id: u64,
    pub provider: String,
    #[serde(default)]
    pub route: Option<String>,
    pub kind: String,
    /// How many matching requests it answers; 0 = until cleared.
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    #[serde(default)]
    pub delay_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub provider: String,
    pub route: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub at: String,
}

pub struct State {
    pub flags: Flags,
    pub faults: Vec<Fault>,
    pub next_fault_id: u64,
    pub requests: Vec<Recorded>,
    pub pool: Vec<String>,
    /// pk → username for every account the sandbox has shown.
    pub usernames: HashMap<u64, String>,
    pub instagram: instagram::IgState,
    pub google: google::GoogleState,
    pub gmail: gmail::GmailState,
    pub sidecar: sidecar::SidecarState,
    pub apify: apify::ApifyState,
    pub telegram_next_id: u64,
}

impl State {
    pub fn new(seed: u64) -> Self {
        let pool = crate::data::username_pool(seed);
        let usernames = pool
            .iter()
            .map(|u| (crate::data::user_pk(seed, u), u.clone()))
            .collect();
        State {
            flags: Flags::new(seed),
            faults: Vec::new(),
            next_fault_id: 1,
            requests: Vec::new(),
            pool,
            usernames,
            instagram: Default::default(),
            google: Default::default(),
            gmail: gmail::GmailState::new(seed),
            sidecar: Default::default(),
            apify: Default::default(),
            telegram_next_id: 1,
        }
    }

    pub fn seed(&self) -> u64 {
        self.flags.seed
    }

    /// Takes the first fault that matches (in the order they were set), counting it down.
    pub fn take_fault(&mut self, provider: &str, route: &str) -> Option<Fault> {
        let pos = self.faults.iter().position(|f| {
            f.provider == provider && f.route.as_deref().is_none_or(|r| r == route)
        })?;
        let f = self.faults[pos].clone();
        if f.times > 0 {
            if f.times == 1 {
                self.faults.remove(pos);
            } else {
                self.faults[pos].times -= 1;
            }
        }
        Some(f)
    }

    /// The username of a pk (a pool account, one shown before, or a made-up one).
    pub fn username_of(&mut self, pk: u64) -> String {
        self.usernames
            .get(&pk)
            .cloned()
            .unwrap_or_else(|| format!("user{pk}"))
    }

    pub fn remember(&mut self, username: &str) -> u64 {
        let pk = crate::data::user_pk(self.seed(), username);
        self.usernames
            .entry(pk)
            .or_insert_with(|| username.to_string());
        pk
    }
}

/// The sandbox: its start seed and its state.
pub struct Sim {
    pub seed0: u64,
    inner: Mutex<State>,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Sim {
            seed0: seed,
            inner: Mutex::new(State::new(seed)),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn reset(&self) {
        *self.lock() = State::new(self.seed0);
    }
}

/// A flags update: only known keys, each of the right type.
pub fn merge_flags(current: &Flags, patch: &Value) -> Result<Flags, String> {
    let Value::Object(patch) = patch else {
        return Err("flags must be a JSON object".into());
    };
    let mut cur = serde_json::to_value(current).map_err(|e| e.to_string())?;
    for (k, v) in patch {
        match cur.get_mut(k) {
            Some(slot) => *slot = v.clone(),
            None => return Err(format!("unknown flag `{k}`")),
        }
    }
    let flags: Flags = serde_json::from_value(cur).map_err(|e| e.to_string())?;
    if !matches!(flags.instagram_token_envelope.as_str(), "data" | "flat") {
        return Err("instagram_token_envelope must be `data` or `flat`".into());
    }
    if !matches!(
        flags.apify_final_status.as_str(),
        "SUCCEEDED" | "FAILED" | "TIMED-OUT" | "ABORTED"
    ) {
        return Err("apify_final_status must be SUCCEEDED, FAILED, TIMED-OUT or ABORTED".into());
    }
    Ok(flags)
}
