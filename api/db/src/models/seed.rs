//! Realistic demo and benchmark leads, generated deterministically from a seed and written with multi-row
//! inserts (both backends take the same statement).

use crate::conn::DbConn;
use crate::models::lead::Lead;
use crate::sql::{self, lit as q, opt};
use crate::{new_seq_id, write_tx};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use leadgen_core::ApiResult;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FIRST: &[&str] = &[
    "anna", "ben", "clara", "david", "emma", "felix", "greta", "hannah", "ida", "jonas", "karla",
    "leon", "mia", "noah", "olivia", "paul", "rosa", "sophie", "tim", "uwe", "vera", "wilhelm",
    "yara", "zoe", "lukas", "marie", "jana", "erik",
];
const LAST: &[&str] = &[
    "müller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "schwarz",
    "braun",
    "zimmermann",
    "krüger",
    "hartmann",
    "lange",
    "werner",
];
const TOPICS: &[&str] = &[
    "vegan food",
    "fitness coach",
    "yoga teacher",
    "travel blogger",
    "interior design",
    "bakery",
    "coffee roaster",
    "photography",
    "fashion",
    "skincare",
    "running club",
    "plant shop",
    "ceramics studio",
    "wine bar",
    "street art",
];
const CITIES: &[&str] = &[
    "Berlin",
    "München",
    "Hamburg",
    "Köln",
    "Leipzig",
    "Wien",
    "Zürich",
    "Düsseldorf",
    "Dresden",
];
const HASHTAGS: &[&str] = &[
    "veganfood",
    "fitnessgermany",
    "berlinfood",
    "yogalife",
    "interiorinspo",
    "kaffeeliebe",
    "reisen",
];
const TAGS: &[&str] = &[
    "hot",
    "b2b",
    "influencer",
    "local",
    "follow-up",
    "premium",
    "micro",
];
const STATUSES: &[(&str, u32)] = &[
    ("new", 40),
    ("enriched", 25),
    ("qualified", 12),
    ("email_drafted", 8),
    ("contacted", 8),
    ("replied", 3),
    ("bounced", 2),
    ("not_interested", 1),
    ("do_not_contact", 1),
];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

fn status(rng: &mut StdRng) -> &'static str {
    let mut n = rng.gen_range(0..100);
    for (s, w) in STATUSES {
        if n < *w {
            return s;
        }
        n -= w;
    }
    "new"
}

/// Writes `count` leads for `owner_id`; about 1 % of biographies mention "sauerteig" (for search benchmarks).
pub fn seed_leads(
    conn: &mut DbConn,
    owner_id: &str,
    count: usize,
    seed: u64,
    now: NaiveDateTime,
) -> ApiResult<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let cols = "id, owner_key, owner_id, username, full_name, biography, followers, following, posts, is_business, business_category, email, website, source_hashtag, status, tags, created_at, updated_at, version";
    let mut written = 0;
    let stamp = now.and_utc().timestamp();
    let owner_key = Lead::owner_key(conn, owner_id)?;
    while written < count {
        let batch = (count - written).min(10_000);
        let mut sql = String::with_capacity(batch * 400);
        for start in (0..batch).step_by(1000) {
            let rows = (batch - start).min(1000);
            sql.push_str(&format!("INSERT INTO leads ({cols}) VALUES "));
            for r in 0..rows {
                let i = written + start + r;
                let (f, l) = (pick(&mut rng, FIRST), pick(&mut rng, LAST));
                let ascii_last = l.replace('ü', "ue").replace('ö', "oe").replace('ä', "ae");
                let username = format!(
                    "{f}.{ascii_last}{}_{:x}",
                    i % 97,
                    seed.wrapping_add(i as u64)
                );
                let topic = pick(&mut rng, TOPICS);
                let city = pick(&mut rng, CITIES);
                let special = if rng.gen_range(0..100) == 0 {
                    " Sauerteig-Liebe 🍞"
                } else {
                    ""
                };
                let bio = format!("{} | {topic} in {city}{special} ✨", capitalise(f));
                let followers: i64 = (10f64.powf(rng.gen_range(1.5..6.3))) as i64;
                let has_email = rng.gen_bool(0.4);
                let email = has_email.then(|| format!("{f}.{ascii_last}{i}@example.com"));
                let website = rng
                    .gen_bool(0.3)
                    .then(|| format!("https://{f}{ascii_last}.example"));
                let is_business = rng.gen_bool(0.3);
                let category = is_business.then(|| capitalise(topic));
                let tags: Vec<&str> = (0..rng.gen_range(0..3))
                    .map(|_| pick(&mut rng, TAGS))
                    .collect();
                let mut tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
                tags.sort();
                tags.dedup();
                let age = if rng.gen_range(0..50) == 0 {
                    rng.gen_range(0..3600)
                } else {
                    rng.gen_range(0..365 * 86_400)
                };
                let created = chrono::DateTime::from_timestamp(
                    stamp - age,
                    rng.gen_range(0..1_000_000) * 1000,
                )
                .map(|d| d.naive_utc())
                .unwrap_or(now);
                let ts = sql::ts(created);
                if r > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "({}, {owner_key}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {ts}, {ts}, 1)",
                    q(&new_seq_id()),
                    q(owner_id),
                    q(&username),
                    q(&format!("{} {}", capitalise(f), capitalise(l))),
                    q(&bio),
                    followers,
                    rng.gen_range(50..3000),
                    rng.gen_range(0..2000),
                    if is_business { "TRUE" } else { "FALSE" },
                    opt(category.as_deref()),
                    opt(email.as_deref()),
                    opt(website.as_deref()),
                    q(pick(&mut rng, HASHTAGS)),
                    q(status(&mut rng)),
                    q(&serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())),
                ));
            }
            sql.push_str(";\n");
        }
        write_tx(conn, |c| Lead::bulk_load(c, |c| Ok(c.batch_execute(&sql)?)))?;
        written += batch;
    }
    vacuum_leads(conn)?;
    Ok(written)
}

/// Refreshes the planner's statistics after a bulk write (sampled on PostgreSQL: well under a second at a million
/// rows), so the next queries get good plans. Call outside a transaction.
pub fn analyze_leads(conn: &mut DbConn) -> ApiResult<()> {
    conn.batch_execute("ANALYZE leads")?;
    Ok(())
}

/// PostgreSQL: merges the search index's pending entries (new leads' words wait in the GIN index's pending list
/// until merged; a search reads all of them on every query). Nothing to do on SQLite.
pub fn merge_search_index(conn: &mut DbConn) -> ApiResult<()> {
    if conn.backend() == leadgen_core::config::Backend::Postgres {
        conn.batch_execute("SELECT gin_clean_pending_list('leads_search'::regclass)")?;
    }
    Ok(())
}

/// `analyze_leads`, and on PostgreSQL a VACUUM that marks the new rows all-visible at once, so jumps over the sort
/// indexes run index-only from the first query (after an import autovacuum does it in the background: a large
/// number of inserted rows starts it by itself). Call outside a transaction.
pub fn vacuum_leads(conn: &mut DbConn) -> ApiResult<()> {
    match conn.backend() {
        leadgen_core::config::Backend::Sqlite => analyze_leads(conn),
        leadgen_core::config::Backend::Postgres => {
            Ok(conn.batch_execute("VACUUM (ANALYZE) leads")?)
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
