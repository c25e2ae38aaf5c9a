//! Full-text search: FTS5 on SQLite, a tsvector on PostgreSQL, and how a page finds its hits.

use super::filter::Cond;
use super::page::PageRequest;
use super::sort::SortKey;
use super::Lead;
use crate::conn::DbConn;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use leadgen_core::config::Backend;
use leadgen_core::ApiResult;

/// The words of a search, lower-cased; none when it holds no letters or digits.
pub(super) fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// SQLite: a search as an FTS5 query, each word a quoted prefix term, all required.
pub(super) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a page finds a search's rows on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SearchPlan {
    /// Read each hit's row (by rowid) and sort them: cheap while the hits are few.
    ReadHits,
    /// Walk the sort's index and keep the entries whose rowid is a hit: the rows are read only for the page.
    WalkSortIndex,
}

pub(super) fn search_cond(backend: Backend, q: &str, plan: SearchPlan) -> Option<Cond> {
    let words = search_words(q);
    if words.is_empty() {
        return None;
    }
    Some(match backend {
        Backend::Sqlite => {
            // The unary `+` keeps SQLite from looking rows up by the hits' rowids, so it walks the sort index.
            let rowid = match plan {
                SearchPlan::ReadHits => "leads.rowid",
                SearchPlan::WalkSortIndex => "+leads.rowid",
            };
            Box::new(
                sql::<Bool>(&format!(
                    "{rowid} IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH "
                ))
                .bind::<Text, _>(fts5_query(&words))
                .sql(")")
                .nullable(),
            )
        }
        Backend::Postgres => {
            let expr = words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            Box::new(
                // `search` is a stored tsvector column (PostgreSQL only; see the migrations).
                sql::<Bool>("leads.search @@ to_tsquery('simple', ")
                    .bind::<Text, _>(expr)
                    .sql(")")
                    .nullable(),
            )
        }
    })
}

/// SQLite, from this many search hits on, a page sorted by one indexed column walks that index (see
/// `Lead::search_plan`).
const WALK_SORT_INDEX_HITS: i64 = 2_000;

impl Lead {
    /// How a page finds its search hits on SQLite. Reading every hit's row to sort them costs about 6 µs a hit
    /// (a word in 1 % of 1M bios: ~60 ms a page); walking the sort's index costs about 0.5 µs an entry, and a page
    /// needs (owner's leads ÷ hits) × page size of them (the same word: ~8 ms, a word in one bio: ~230 ms). So a
    /// search with many hits (counted in the search index alone, ~1 ms) walks the index, when the page is sorted
    /// by one column with an index of live leads and filtered by nothing else (a filter can reject most entries the
    /// walk reaches).
    pub(super) fn search_plan(conn: &mut DbConn, req: &PageRequest) -> ApiResult<SearchPlan> {
        let indexed = matches!(
            req.sort.keys.as_slice(),
            [(
                SortKey::CreatedAt | SortKey::UpdatedAt | SortKey::Followers,
                _
            )]
        );
        let words = req.search.as_deref().map(search_words).unwrap_or_default();
        let DbConn::Sqlite(c) = conn else {
            return Ok(SearchPlan::ReadHits);
        };
        if words.is_empty() || !indexed || req.filter.is_some() || req.include_deleted {
            return Ok(SearchPlan::ReadHits);
        }
        #[derive(QueryableByName)]
        struct Hits {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let hits = diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM leads_fts WHERE leads_fts MATCH ? LIMIT ?)",
        )
        .bind::<Text, _>(fts5_query(&words))
        .bind::<diesel::sql_types::BigInt, _>(WALK_SORT_INDEX_HITS)
        .get_result::<Hits>(c)?
        .n;
        Ok(if hits >= WALK_SORT_INDEX_HITS {
            SearchPlan::WalkSortIndex
        } else {
            SearchPlan::ReadHits
        })
    }
}
