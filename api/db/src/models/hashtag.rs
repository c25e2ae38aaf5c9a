//! Hashtag↔username pairs: which hashtag found whom, and when. Discovery records them (a profile found again
//! under the same hashtag keeps its first date); the lead drawer and the hashtag overview read them.

use crate::conn::DbConn;
use crate::schema::hashtag_pairs;
use crate::sql::{lit, ts, MultiInsert};
use crate::{new_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};

/// `#Vegan Food ` → `veganfood`; `None` if nothing usable is left.
pub fn normalise_hashtag(raw: &str) -> Option<String> {
    let h: String = raw
        .trim()
        .trim_start_matches('#')
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    (!h.is_empty()
        && h.chars().count() <= 100
        && h.chars().all(|c| c.is_alphanumeric() || c == '_'))
    .then_some(h)
}

/// How many usernames one hashtag found, and when last.
#[derive(Debug, Clone, Queryable)]
pub struct HashtagSummary {
    pub hashtag: String,
    pub usernames: i64,
    pub last_found_at: Option<NaiveDateTime>,
}

pub struct HashtagPair;

impl HashtagPair {
    /// Records pairs `(hashtag, normalised username)`; pairs already known are kept as they were. Returns how
    /// many pairs were given after validation (a bad hashtag answers 422 naming the pair's index).
    pub fn record(
        conn: &mut DbConn,
        owner_id: &str,
        pairs: &[(String, String)],
    ) -> ApiResult<usize> {
        let (owner, at) = (lit(owner_id), ts(now()));
        let mut out = MultiInsert::new(
            "hashtag_pairs",
            "id, owner_id, hashtag, username, found_at",
            250,
        )
        .ignore_duplicates();
        for (i, (hashtag, username)) in pairs.iter().enumerate() {
            let Some(tag) = normalise_hashtag(hashtag) else {
                return Err(ApiError::field(
                    &format!("pairs[{i}].hashtag"),
                    "invalid_hashtag",
                    "Letters, digits and '_' only",
                ));
            };
            out.row(
                conn,
                &[&lit(&new_id()), &owner, &lit(&tag), &lit(username), &at],
            )?;
        }
        out.flush(conn)?;
        Ok(pairs.len())
    }

    /// The hashtags that found this username, oldest first.
    pub fn for_username(
        conn: &mut DbConn,
        owner_id: &str,
        username: &str,
    ) -> ApiResult<Vec<(String, NaiveDateTime)>> {
        Ok(hashtag_pairs::table
            .filter(hashtag_pairs::owner_id.eq(owner_id))
            .filter(hashtag_pairs::username.eq(username))
            .order((hashtag_pairs::found_at.asc(), hashtag_pairs::hashtag.asc()))
            .select((hashtag_pairs::hashtag, hashtag_pairs::found_at))
            .load(conn)?)
    }

    /// Every hashtag of the owner with its number of usernames, most productive first.
    pub fn summary(conn: &mut DbConn, owner_id: &str) -> ApiResult<Vec<HashtagSummary>> {
        use diesel::dsl::{count_star, max};
        Ok(hashtag_pairs::table
            .filter(hashtag_pairs::owner_id.eq(owner_id))
            .group_by(hashtag_pairs::hashtag)
            .select((
                hashtag_pairs::hashtag,
                count_star(),
                max(hashtag_pairs::found_at),
            ))
            .order((count_star().desc(), hashtag_pairs::hashtag.asc()))
            .load(conn)?)
    }
}
