//! The order text sorts in: German (the Unicode collation for `de`), case- and accent-aware, so "Ökohof" comes
//! before "Weinhaus" and "apfel" before "Birne", where byte order puts every lower-case and accented letter after
//! "Z". Both databases know it as `leadgen_text`: PostgreSQL as an ICU collation (migration
//! `2026-12-06-000013_text_collation`), SQLite as a collation registered on every connection (`register`). Text
//! the collation calls equal (it never does for different strings in practice) falls back to byte order, so the
//! order is total and the grid's keyset cursors step over equal-looking names without skipping or repeating.

use diesel::sqlite::SqliteConnection;
use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use std::cmp::Ordering;
use std::sync::LazyLock;

/// The collation's name in SQL (`ORDER BY full_name COLLATE leadgen_text`).
pub const NAME: &str = "leadgen_text";

static COLLATOR: LazyLock<Option<CollatorBorrowed<'static>>> = LazyLock::new(|| {
    Collator::try_new(
        icu_locale_core::locale!("de").into(),
        CollatorOptions::default(),
    )
    .ok()
});

/// `a` and `b` in the collation's order (byte order breaks ties).
pub fn compare(a: &str, b: &str) -> Ordering {
    match &*COLLATOR {
        Some(c) => c.compare(a, b).then_with(|| a.cmp(b)),
        None => a.cmp(b),
    }
}

/// Registers the collation on a SQLite connection. diesel 2.3 hands the callback its two strings swapped (right
/// operand first), which would sort every collated column backwards; a probe after registering tells which way
/// this diesel calls it, so the order stays right whether or not a later diesel swaps them back.
pub fn register(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    use diesel::prelude::*;
    use diesel::sql_types::Bool;
    conn.register_collation(NAME, compare)?;
    let ascending: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "'a' COLLATE {NAME} < 'b'"
    )))
    .get_result(conn)?;
    if !ascending {
        conn.register_collation(NAME, |a: &str, b: &str| compare(b, a))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::compare;
    use std::cmp::Ordering;

    #[test]
    fn german_order() {
        let mut names = vec![
            "Weinhaus", "Ökohof", "apfel", "Zebra", "Oase", "Äpfel", "über",
        ];
        names.sort_by(|a, b| compare(a, b));
        assert_eq!(
            names,
            ["apfel", "Äpfel", "Oase", "Ökohof", "über", "Weinhaus", "Zebra"]
        );
        assert_eq!(compare("a", "a"), Ordering::Equal);
    }
}
