//! Stage 1, crawl: the Apify hashtag scraper once per hashtag. Its posts' owners become the enrich stage's
//! items and hashtag↔username pairs; the other hashtags on the posts are tallied as related hashtags.

use super::{describe, is_fatal, Run, Step};
use leadgen_core::ApiResult;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::hashtag::{normalise_hashtag, HashtagPair};
use leadgen_db::models::lead::{normalise_username, valid_username};
use leadgen_db::models::processing_session::{micro_usd, ProcessingSession};
use leadgen_db::models::session_item::{ItemUpdate, SessionItem};
use leadgen_db::{write_tx, DbConn};
use leadgen_providers::apify::{Apify, HashtagInput, HashtagPost};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

pub const STAGE: &str = "crawl";

/// The Apify client with the admins' token, or why there is none.
pub fn apify(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Result<Apify, String>> {
    let Some(token) = r.access.effective(c, None, "apify", "token")? else {
        return Ok(Err(
            "No Apify API token is set: an admin sets it under Settings → Providers.".into(),
        ));
    };
    Ok(Apify::from_settings(SecretString::from(token), &r.access.settings).map_err(|e| e.message))
}

/// Owners (normalised, valid, first-seen order) and the other hashtags of the posts.
fn read_posts(posts: &[HashtagPost], crawled: &[String]) -> (Vec<String>, BTreeMap<String, i64>) {
    let mut owners: Vec<String> = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut related: BTreeMap<String, i64> = BTreeMap::new();
    for p in posts {
        if let Some(u) = p.owner_username.as_deref().map(normalise_username) {
            if valid_username(&u) && seen.insert(u.clone()) {
                owners.push(u);
            }
        }
        let mut tags: Vec<String> = p
            .hashtags
            .iter()
            .filter_map(|h| normalise_hashtag(h))
            .collect();
        tags.sort();
        tags.dedup();
        for t in tags {
            if !crawled.contains(&t) {
                *related.entry(t).or_default() += 1;
            }
        }
    }
    (owners, related)
}

pub fn run(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Step> {
    let tags = r.session.hashtag_list();
    let items: Vec<(String, Option<String>)> = tags.iter().map(|t| (t.clone(), None)).collect();
    write_tx(c, |c| {
        SessionItem::ensure(c, r.sid(), STAGE, &items, r.ctx.now())
    })?;
    if SessionItem::pending(c, r.sid(), STAGE, 1)?.is_empty() {
        return Ok(Step::Next);
    }
    let client = match apify(r, c)? {
        Ok(a) => a,
        Err(why) => return Ok(Step::Fail(why)),
    };
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let Some(item) = SessionItem::pending(c, r.sid(), STAGE, 1)?
            .into_iter()
            .next()
        else {
            return Ok(Step::Next);
        };
        let tag = item.key.clone();
        let key = format!("apify:hashtag:{}:{tag}", r.sid());
        if Effect::find(c, &key)?.is_some() {
            write_tx(c, |c| {
                SessionItem::update(c, &item.id, &ItemUpdate::done("crawled"), r.ctx.now())
            })?;
            continue;
        }
        let input = HashtagInput {
            hashtags: vec![tag.clone()],
            results_limit: u32::try_from(r.options.posts_per_hashtag).unwrap_or(50),
            results_type: Some("posts".into()),
            only_posts_newer_than: None,
        };
        let started = Instant::now();
        let res = r.ctx.block_on(client.scrape_hashtags(&input));
        let n = res.as_ref().map(|p| p.len() as i64).unwrap_or(0);
        r.record_call(c, "apify", "run_sync", started, &res, (n, Some("posts")))?;
        match res {
            Ok(posts) => {
                let (owners, related) = read_posts(&posts, &tags);
                let cost = micro_usd(
                    r.prices.apify_run
                        + posts.len() as f64 * r.prices.apify_posts_per_1000 / 1000.0,
                );
                let now = r.ctx.now();
                r.ctx.effect(c, &key, "sessions.apify_hashtag", |c| {
                    let pairs: Vec<(String, String)> =
                        owners.iter().map(|u| (tag.clone(), u.clone())).collect();
                    HashtagPair::record(c, r.owner(), &pairs)?;
                    let enrich: Vec<(String, Option<String>)> =
                        owners.iter().map(|u| (u.clone(), None)).collect();
                    SessionItem::ensure(c, r.sid(), super::enrich::STAGE, &enrich, now)?;
                    if r.options.discover_related && !related.is_empty() {
                        let s = ProcessingSession::get(c, r.sid())?;
                        let mut tally = s.related();
                        for (t, k) in &related {
                            let before = tally.get(t).and_then(Value::as_i64).unwrap_or(0);
                            tally.insert(t.clone(), json!(before + k));
                        }
                        ProcessingSession::set_hashtags(
                            c,
                            r.sid(),
                            &s.hashtag_list(),
                            &tally,
                            now,
                        )?;
                    }
                    let result = json!({"posts": posts.len(), "accounts": owners.len()});
                    SessionItem::update(
                        c,
                        &item.id,
                        &ItemUpdate::done("crawled").result(result.clone()),
                        now,
                    )?;
                    ProcessingSession::add_cost(c, r.sid(), cost, now)?;
                    r.log(
                        c,
                        "info",
                        STAGE,
                        &format!("#{tag}: {} posts by {} accounts", posts.len(), owners.len()),
                    )?;
                    Ok(result)
                })?;
            }
            Err(e) if is_fatal(&e) => {
                return Ok(Step::Fail(format!(
                    "Apify refused the crawl of #{tag}: {}",
                    describe(&e)
                )))
            }
            Err(e) => {
                let why = describe(&e);
                write_tx(c, |c| {
                    SessionItem::update(c, &item.id, &ItemUpdate::failed(&why), r.ctx.now())?;
                    r.log(c, "warn", STAGE, &format!("#{tag} failed: {why}"))
                })?;
            }
        }
    }
}
