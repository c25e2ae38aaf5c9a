//! The time the job engine (and anything else that schedules) goes by: the system clock plus an offset that tests
//! move forward, so behaviour that depends on time is tested by setting the clock instead of sleeping.

use chrono::{NaiveDateTime, SubsecRound, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A clock shared by everything cloned from it. `Clock::default()` is the system clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds added to the system time.
    offset_us: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Clock::default()
    }

    /// The current UTC time (plus the offset), truncated to microseconds so values round-trip on both backends.
    pub fn now(&self) -> NaiveDateTime {
        let t = Utc::now().naive_utc().trunc_subsecs(6);
        t + chrono::Duration::microseconds(self.offset_us.load(Ordering::Relaxed))
    }

    /// Moves this clock (and its clones) forward by `by` (tests).
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_us
            .fetch_add(by.as_micros() as i64, Ordering::Relaxed);
    }

    /// Sets this clock so that `now()` answers about `at` (tests).
    pub fn set(&self, at: NaiveDateTime) {
        let real = Utc::now().naive_utc().trunc_subsecs(6);
        let us = (at - real).num_microseconds().unwrap_or(0);
        self.offset_us.store(us, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_offset() {
        let c = Clock::system();
        let d = c.clone();
        let before = d.now();
        c.advance(std::time::Duration::from_secs(3600));
        assert!(d.now() - before >= chrono::Duration::seconds(3600));
        let at = before - chrono::Duration::days(1);
        d.set(at);
        assert!((c.now() - at).num_seconds().abs() < 5);
    }
}
