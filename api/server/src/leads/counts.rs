//! What the grid's scrollbar needs, cached per owner and query until that owner's leads change (or a minute
//! passes, which covers writes made by other processes):
//! - totals: a page counts at most `COUNT_CAP` rows; a larger result answers an estimate at once and the exact
//!   count is computed in the background;
//! - anchors: a cursor after every `ANCHOR_STEP`-th row, built in the background on the first far jump, so later
//!   jumps to any offset skip fewer than `ANCHOR_STEP` rows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(60);
/// Rows between two anchors.
pub const ANCHOR_STEP: i64 = 10_000;
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct CountCache {
    inner: Mutex<Inner>,
}

/// Cursors after every `ANCHOR_STEP`-th row, when they were built, and the owner's generation then.
type Anchors = (std::sync::Arc<Vec<String>>, Instant, u64);

#[derive(Default)]
struct Inner {
    generation: HashMap<String, u64>,
    totals: HashMap<(String, String), (i64, bool, Instant, u64)>,
    counting: std::collections::HashSet<(String, String)>,
    anchors: HashMap<(String, String), Anchors>,
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

    /// For a jump to `offset`: the nearest anchor cursor before it and how many rows remain to skip after it.
    pub fn anchor(&self, owner: &str, query: &str, offset: i64) -> Option<(String, i64)> {
        let inner = self.inner.lock().ok()?;
        let gen = inner.generation.get(owner).copied().unwrap_or(0);
        let (list, at, g) = inner.anchors.get(&(owner.to_owned(), query.to_owned()))?;
        if *g != gen || at.elapsed() >= TTL {
            return None;
        }
        let n = usize::try_from(offset / ANCHOR_STEP).ok()?.checked_sub(1)?;
        let cursor = list.get(n.min(list.len().checked_sub(1)?))?;
        let used = (n.min(list.len() - 1) as i64 + 1) * ANCHOR_STEP;
        Some((cursor.clone(), offset - used))
    }

    /// Stores anchors built at generation `gen` (ignored if the owner's leads changed meanwhile).
    pub fn put_anchors(&self, owner: &str, query: &str, list: Vec<String>, gen: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.generation.get(owner).copied().unwrap_or(0) != gen {
                return;
            }
            if inner.anchors.len() >= MAX_ENTRIES / 10 {
                inner.anchors.clear();
            }
            inner.anchors.insert(
                (owner.to_owned(), query.to_owned()),
                (std::sync::Arc::new(list), Instant::now(), gen),
            );
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

    #[test]
    fn anchors_pick_the_nearest_cursor_before_the_offset() {
        let c = CountCache::default();
        let g = c.generation("a");
        assert_eq!(c.anchor("a", "q", 25_000), None);
        c.put_anchors("a", "q", vec!["c1".into(), "c2".into()], g);
        // c1 is followed by row 10,000, c2 by row 20,000.
        assert_eq!(c.anchor("a", "q", 9_999), None);
        assert_eq!(c.anchor("a", "q", 10_000), Some(("c1".into(), 0)));
        assert_eq!(c.anchor("a", "q", 19_999), Some(("c1".into(), 9_999)));
        assert_eq!(c.anchor("a", "q", 25_000), Some(("c2".into(), 5_000)));
        // Past the last anchor: start from it and skip the rest.
        assert_eq!(c.anchor("a", "q", 45_000), Some(("c2".into(), 25_000)));
        c.invalidate("a");
        assert_eq!(c.anchor("a", "q", 25_000), None);
    }
}
