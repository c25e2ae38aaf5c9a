//! Totals for the grid. A page counts at most `COUNT_CAP` rows; a larger result answers an estimate at once and
//! the exact count is computed in the background. Exact totals are cached per owner and query until that
//! owner's leads change (or a minute passes, which covers writes made by other processes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct CountCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: HashMap<String, u64>,
    totals: HashMap<(String, String), (i64, bool, Instant, u64)>,
    counting: std::collections::HashSet<(String, String)>,
}

impl CountCache {
    /// The generation to hand to `put` for a count started now.
    pub fn generation(&self, owner: &str) -> u64 {
        self.inner
            .lock()
            .map(|i| i.generation.get(owner).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// A cached total and whether it is an estimate.
    pub fn get(&self, owner: &str, query: &str) -> Option<(i64, bool)> {
        let inner = self.inner.lock().ok()?;
        let gen = inner.generation.get(owner).copied().unwrap_or(0);
        let (n, estimate, at, g) = inner.totals.get(&(owner.to_owned(), query.to_owned()))?;
        (*g == gen && at.elapsed() < TTL).then_some((*n, *estimate))
    }

    /// Stores an exact count made at generation `gen` (ignored if the owner's leads changed meanwhile).
    pub fn put(&self, owner: &str, query: &str, n: i64, gen: u64) {
        self.store(owner, query, n, false, gen);
    }

    /// Stores an estimate, answered until the exact count replaces it.
    pub fn put_estimate(&self, owner: &str, query: &str, n: i64, gen: u64) {
        self.store(owner, query, n, true, gen);
    }

    fn store(&self, owner: &str, query: &str, n: i64, estimate: bool, gen: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.generation.get(owner).copied().unwrap_or(0) != gen {
                return;
            }
            if inner.totals.len() >= MAX_ENTRIES {
                inner.totals.retain(|_, (_, _, at, _)| at.elapsed() < TTL);
                if inner.totals.len() >= MAX_ENTRIES {
                    inner.totals.clear();
                }
            }
            inner.totals.insert(
                (owner.to_owned(), query.to_owned()),
                (n, estimate, Instant::now(), gen),
            );
        }
    }

    /// Claims the background count for this query; false when one is already under way.
    pub fn begin_count(&self, owner: &str, query: &str) -> bool {
        self.inner
            .lock()
            .map(|mut i| i.counting.insert((owner.to_owned(), query.to_owned())))
            .unwrap_or(false)
    }

    pub fn end_count(&self, owner: &str, query: &str) {
        if let Ok(mut i) = self.inner.lock() {
            i.counting.remove(&(owner.to_owned(), query.to_owned()));
        }
    }

    /// The owner's leads changed: every cached total of theirs is stale.
    pub fn invalidate(&self, owner: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner.generation.entry(owner.to_owned()).or_insert(0) += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_invalidate_and_late_counts_are_dropped() {
        let c = CountCache::default();
        let g = c.generation("a");
        c.put("a", "q", 5, g);
        assert_eq!(c.get("a", "q"), Some((5, false)));
        assert_eq!(c.get("b", "q"), None);
        c.invalidate("a");
        assert_eq!(c.get("a", "q"), None);
        c.put("a", "q", 7, g); // counted before the write
        assert_eq!(c.get("a", "q"), None);
        c.put("a", "q", 8, c.generation("a"));
        assert_eq!(c.get("a", "q"), Some((8, false)));
        c.put_estimate("a", "e", 20_001, c.generation("a"));
        assert_eq!(c.get("a", "e"), Some((20_001, true)));
        assert!(c.begin_count("a", "q"));
        assert!(!c.begin_count("a", "q"), "one background count per query");
        c.end_count("a", "q");
        assert!(c.begin_count("a", "q"));
    }
}
