//! Stage 2, enrich: the Apify profile scraper over batches of the crawl's usernames. After every batch its leads
//! are created or updated (status `enriched`, `enriched_at`) with the e-mails, phones and websites found in the
//! bio and links; the filters, the do-not-contact list and the maximum of new leads decide which profiles become
//! leads. Between batches the session pauses (a random wait in the pacing range), as a snooze of its job.

use super::{describe, is_fatal, Run, Step};
use crate::sessions::form::SessionFilters;
use leadgen_core::ApiResult;
use leadgen_db::models::dnc::DoNotContact;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::hashtag::HashtagPair;
use leadgen_db::models::lead::{valid_email, Lead, LeadPatch};
use leadgen_db::models::processing_session::{micro_usd, ProcessingSession};
use leadgen_db::models::session_item::{ItemUpdate, SessionItem, SKIPPED};
use leadgen_db::{write_tx, DbConn};
use leadgen_providers::apify::ProfileItem;
use rand::Rng;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const STAGE: &str = "enrich";

/// The language a bio reads in (`de`, `en`), when its words say so.
pub fn bio_language(bio: &str) -> Option<&'static str> {
    const DE: &[&str] = &[
        "und", "der", "die", "das", "ich", "mit", "für", "aus", "dein", "deine", "wir", "ist",
        "nicht", "auf", "anfragen", "liebe", "alltag", "hier", "dreht", "sich", "alles", "um",
        "von", "zwei", "kontakt", "mama", "über",
    ];
    const EN: &[&str] = &[
        "and", "the", "with", "for", "from", "your", "you", "my", "i", "we", "is", "not", "on",
        "helping", "lover", "daily", "tips", "business", "coffee", "first", "of", "in",
    ];
    let (mut de, mut en) = (0, 0);
    for w in bio
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        if DE.contains(&w.as_str()) {
            de += 1;
        }
        if EN.contains(&w.as_str()) {
            en += 1;
        }
    }
    if bio
        .chars()
        .any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü'))
    {
        de += 1;
    }
    match de.cmp(&en) {
        std::cmp::Ordering::Greater => Some("de"),
        std::cmp::Ordering::Less => Some("en"),
        std::cmp::Ordering::Equal => None,
    }
}

/// Why the filters leave a profile out, if they do.
pub fn filtered_out(f: &SessionFilters, p: &ProfileItem) -> Option<&'static str> {
    let followers = p.followers_count.map(|n| n as i64).unwrap_or(0);
    if f.skip_private && p.private == Some(true) {
        return Some("private account");
    }
    if f.min_followers.is_some_and(|m| followers < m) {
        return Some("fewer followers than the minimum");
    }
    if f.max_followers.is_some_and(|m| followers > m) {
        return Some("more followers than the maximum");
    }
    if f.business_only && p.is_business_account != Some(true) {
        return Some("not a business account");
    }
    if let Some(want) = f.bio_language.as_deref() {
        if let Some(lang) = p.biography.as_deref().and_then(bio_language) {
            if lang != want {
                return Some("bio in another language");
            }
        }
    }
    None
}

fn cut(s: Option<&str>, n: usize) -> Option<String> {
    s.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(n).collect())
}

/// Contact data of a profile: its contact fields first, then what the bio and link say.
pub struct Found {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

pub fn contacts_of(p: &ProfileItem) -> Found {
    let text = format!(
        "{}\n{}",
        p.biography.as_deref().unwrap_or_default(),
        p.external_url.as_deref().unwrap_or_default()
    );
    let x = leadgen_core::contacts::extract(&text);
    let email = p
        .business_email
        .clone()
        .or_else(|| p.public_email.clone())
        .map(|e| e.trim().to_lowercase())
        .filter(|e| valid_email(e))
        .or_else(|| x.emails.into_iter().find(|e| valid_email(e)));
    let phone =
        cut(p.business_phone_number.as_deref(), 500).or_else(|| x.phones.into_iter().next());
    let website = p
        .external_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| x.websites.into_iter().next());
    Found {
        email,
        phone,
        website,
    }
}

/// A patch that normalises: fields the lead model refuses (an odd website) are left out.
fn clean_patch(mut p: LeadPatch) -> LeadPatch {
    let mut probe = p.clone();
    if let Err(e) = probe.normalise() {
        let bad: Vec<String> = e
            .details
            .as_ref()
            .and_then(|d| d.get("fields"))
            .and_then(|f| f.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for f in bad {
            match f.as_str() {
                "email" => p.email = None,
                "website" => p.website = None,
                "phone" => p.phone = None,
                "full_name" => p.full_name = None,
                "biography" => p.biography = None,
                "business_category" => p.business_category = None,
                _ => {}
            }
        }
    }
    p
}

/// What became of one profile.
struct Applied {
    status: &'static str,
    outcome: &'static str,
    lead_id: Option<String>,
    note: Option<String>,
}

fn skip(outcome: &'static str, why: &str) -> Applied {
    Applied {
        status: SKIPPED,
        outcome,
        lead_id: None,
        note: Some(why.to_owned()),
    }
}

/// Creates or updates the lead of one profile (inside the batch's effect transaction).
fn apply(
    r: &Run<'_>,
    c: &mut DbConn,
    username: &str,
    p: &ProfileItem,
    at_limit: bool,
    now: chrono::NaiveDateTime,
) -> ApiResult<Applied> {
    let f = &r.options.filters;
    if let Some(why) = filtered_out(f, p) {
        return Ok(skip("dropped_filter", why));
    }
    let found = contacts_of(p);
    // Without a contact search to come, "must have contact data" is decided now.
    if f.require_contact
        && !r.session.has_stage("contacts")
        && found.email.is_none()
        && found.phone.is_none()
    {
        return Ok(skip("dropped_filter", "no contact data"));
    }
    if DoNotContact::blocks(c, r.owner(), username, found.email.as_deref())? {
        return Ok(skip("dropped_dnc", "on the do-not-contact list"));
    }
    let existing = Lead::find_by_username(c, r.owner(), username)?;
    if existing.as_ref().is_some_and(|l| l.deleted_at.is_some()) {
        return Ok(skip("deleted", "the lead was deleted from the workspace"));
    }
    if existing.is_none() && at_limit {
        return Ok(skip("limit", "the maximum of new leads was reached"));
    }
    let mut patch = LeadPatch {
        full_name: Some(cut(p.full_name.as_deref(), 500)),
        biography: Some(cut(p.biography.as_deref(), 5000)),
        followers: Some(p.followers_count.map(|n| n as i64)),
        following: Some(p.follows_count.map(|n| n as i64)),
        posts: Some(p.posts_count.map(|n| n as i64)),
        is_business: p.is_business_account,
        business_category: Some(cut(p.business_category_name.as_deref(), 500)),
        ..Default::default()
    };
    let keep_or = |old: Option<&String>, new: Option<String>| match old {
        Some(_) => None,
        None => new.map(Some),
    };
    let (lead, outcome) = match existing {
        Some(l) => {
            patch.email = keep_or(l.email.as_ref(), found.email);
            patch.phone = keep_or(
                l.phone.as_ref(),
                found.phone.map(|p| cut(Some(&p), 500).unwrap_or_default()),
            );
            patch.website = keep_or(l.website.as_ref(), found.website);
            if l.status == "new" {
                patch.status = Some("enriched".into());
            }
            let batch = leadgen_db::new_id();
            let l = Lead::update(
                c,
                r.owner(),
                Some(r.owner()),
                &l.id,
                None,
                clean_patch(patch),
                &batch,
            )?;
            (l, "updated")
        }
        None => {
            patch.username = Some(username.to_owned());
            patch.email = found.email.map(Some);
            patch.phone = found.phone.map(Some);
            patch.website = found.website.map(Some);
            patch.status = Some("enriched".into());
            patch.source_hashtag = Some(
                HashtagPair::for_username(c, r.owner(), username)?
                    .into_iter()
                    .next()
                    .map(|(h, _)| h),
            );
            (
                Lead::create(c, r.owner(), Some(r.owner()), clean_patch(patch))?,
                "added",
            )
        }
    };
    Lead::mark_enriched(c, &lead.id, now)?;
    Ok(Applied {
        status: leadgen_db::models::session_item::DONE,
        outcome,
        lead_id: Some(lead.id),
        note: None,
    })
}

/// The random pause before the next batch, in whole seconds.
fn pause_seconds(r: &Run<'_>) -> i64 {
    let (lo, hi) = (
        r.options.pacing.pause_min_seconds.max(0),
        r.options.pacing.pause_max_seconds.max(0),
    );
    if hi <= lo {
        lo
    } else {
        rand::thread_rng().gen_range(lo..=hi)
    }
}

pub fn run(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Step> {
    if SessionItem::pending(c, r.sid(), STAGE, 1)?.is_empty() {
        return Ok(Step::Next);
    }
    let client = match super::crawl::apify(r, c)? {
        Ok(a) => a,
        Err(why) => return Ok(Step::Fail(why)),
    };
    let max = r.options.max_new_leads;
    let batch_size = r.options.pacing.batch_size.clamp(1, 100);
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let added = SessionItem::count_outcome(c, r.sid(), STAGE, "added")?;
        if added >= max {
            let n = write_tx(c, |c| {
                SessionItem::skip_pending(
                    c,
                    r.sid(),
                    STAGE,
                    "limit",
                    "the maximum of new leads was reached",
                    r.ctx.now(),
                )
            })?;
            if n > 0 {
                write_tx(c, |c| {
                    r.log(
                        c,
                        "info",
                        STAGE,
                        &format!("{max} new leads reached: {n} more profiles were not enriched"),
                    )
                })?;
            }
            return Ok(Step::Next);
        }
        let batch = SessionItem::pending(c, r.sid(), STAGE, batch_size)?;
        if batch.is_empty() {
            return Ok(Step::Next);
        }
        let s = ProcessingSession::get(c, r.sid())?;
        // Every 20 batches the planner learns how the tables grew (PostgreSQL).
        if s.batches % 20 == 1 {
            SessionItem::refresh_statistics(c)?;
        }
        let key = format!("apify:profiles:{}:{}", r.sid(), s.batches);
        if Effect::find(c, &key)?.is_some() {
            write_tx(c, |c| ProcessingSession::next_batch(c, r.sid()))?;
            continue;
        }
        let usernames: Vec<String> = batch.iter().map(|i| i.key.clone()).collect();
        let started = Instant::now();
        let res = r.ctx.block_on(client.scrape_profiles(&usernames));
        let n = res.as_ref().map(|p| p.len() as i64).unwrap_or(0);
        r.record_call(c, "apify", "run_sync", started, &res, (n, Some("profiles")))?;
        match res {
            Ok(profiles) => {
                let by_name: HashMap<String, &ProfileItem> = profiles
                    .iter()
                    .filter_map(|p| {
                        p.username
                            .as_deref()
                            .map(|u| (leadgen_db::models::lead::normalise_username(u), p))
                    })
                    .collect();
                let cost = micro_usd(
                    r.prices.apify_run
                        + profiles.len() as f64 * r.prices.apify_profiles_per_1000 / 1000.0,
                );
                let now = r.ctx.now();
                let batch_no = s.batches + 1;
                r.ctx.effect(c, &key, "sessions.apify_profiles", |c| {
                    ProcessingSession::next_batch(c, r.sid())?;
                    ProcessingSession::add_cost(c, r.sid(), cost, now)?;
                    let mut added_now = added;
                    let mut tally: HashMap<&'static str, i64> = HashMap::new();
                    for item in &batch {
                        let applied = match by_name.get(&item.key) {
                            None => skip("not_found", "Apify found no such profile"),
                            Some(p) => apply(r, c, &item.key, p, added_now >= max, now)?,
                        };
                        if applied.outcome == "added" {
                            added_now += 1;
                        }
                        *tally.entry(applied.outcome).or_default() += 1;
                        let mut u = ItemUpdate {
                            status: applied.status,
                            outcome: Some(applied.outcome),
                            error: applied.note.as_deref(),
                            lead_id: None,
                            result: None,
                            attempted: true,
                        };
                        if let Some(l) = applied.lead_id.as_deref() {
                            u = u.lead(l);
                        }
                        SessionItem::update(c, &item.id, &u, now)?;
                    }
                    let mut parts: Vec<String> = tally
                        .iter()
                        .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
                        .collect();
                    parts.sort();
                    r.log(
                        c,
                        "info",
                        STAGE,
                        &format!(
                            "Batch {batch_no}: {} profiles — {}",
                            batch.len(),
                            parts.join(", ")
                        ),
                    )?;
                    Ok(json!({ "profiles": profiles.len() }))
                })?;
            }
            Err(e) if is_fatal(&e) => {
                return Ok(Step::Fail(format!(
                    "Apify refused the profile scraper: {}",
                    describe(&e)
                )))
            }
            Err(e) => {
                let why = describe(&e);
                write_tx(c, |c| {
                    ProcessingSession::next_batch(c, r.sid())?;
                    for item in &batch {
                        SessionItem::update(c, &item.id, &ItemUpdate::failed(&why), r.ctx.now())?;
                    }
                    r.log(
                        c,
                        "warn",
                        STAGE,
                        &format!("A batch of {} profiles failed: {why}", batch.len()),
                    )
                })?;
            }
        }
        // Pacing: a random pause before the next batch, as a snooze of the job (crash-safe, clock-driven).
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        if !SessionItem::pending(c, r.sid(), STAGE, 1)?.is_empty() {
            let secs = pause_seconds(r);
            if secs > 0 {
                let now = r.ctx.now();
                let until = now + chrono::Duration::seconds(secs);
                let paused = write_tx(c, |c| {
                    ProcessingSession::pause_if_running(c, r.sid(), until, secs, now)
                })?;
                if !paused {
                    return Ok(Step::Stop);
                }
                return Ok(Step::Pause(Duration::from_secs(secs as u64)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bio_language_reads_german_and_english() {
        assert_eq!(
            bio_language("Yoga aus Köln 🌿 | 📩 Anfragen: info@x.de"),
            Some("de")
        );
        assert_eq!(bio_language("Helping you with yoga | London"), Some("en"));
        assert_eq!(bio_language("🌿✨"), None);
    }

    #[test]
    fn filters_leave_out_what_they_name() {
        let p = ProfileItem {
            followers_count: Some(50),
            private: Some(true),
            is_business_account: Some(false),
            ..Default::default()
        };
        let mut f = SessionFilters::default();
        assert_eq!(filtered_out(&f, &p), Some("private account"));
        f.skip_private = false;
        assert_eq!(filtered_out(&f, &p), None);
        f.min_followers = Some(100);
        assert_eq!(
            filtered_out(&f, &p),
            Some("fewer followers than the minimum")
        );
        f.min_followers = None;
        f.business_only = true;
        assert_eq!(filtered_out(&f, &p), Some("not a business account"));
    }

    #[test]
    fn contacts_come_from_fields_then_bio() {
        let p = ProfileItem {
            biography: Some("✉️ hallo [at] studio-koeln.de | 📞 +49 151 2345678".into()),
            external_url: Some("https://linktr.ee/studio".into()),
            ..Default::default()
        };
        let f = contacts_of(&p);
        assert_eq!(f.email.as_deref(), Some("hallo@studio-koeln.de"));
        assert!(f.phone.is_some());
        assert_eq!(f.website.as_deref(), Some("https://linktr.ee/studio"));
    }
}
