//! Backing off a registry that keeps failing. The registry client already
//! retries each request (honouring `Retry-After`); when it gives up, the
//! registry is left alone for a while, so one cycle does not send every
//! repository's requests into an outage. Nothing is forgotten meanwhile:
//! targets keep their resolution, and the next cycle tries again.

use std::time::{Duration, Instant};

/// The longest pause, in multiples of the first: with the default 15 s,
/// 240 s, shorter than the default poll interval, so a recovered registry
/// is polled again at the next cycle.
const MAX_FACTOR: u32 = 16;

/// The back-off state of one registry.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    first: Duration,
    failures: u32,
    until: Option<Instant>,
}

impl Backoff {
    /// A healthy registry, paused for `first` after its first failure.
    pub(crate) fn new(first: Duration) -> Self {
        Self {
            first,
            failures: 0,
            until: None,
        }
    }

    /// Records a failure at `now`; returns when requests may resume.
    pub(crate) fn failed(&mut self, now: Instant) -> Instant {
        self.failures = self.failures.saturating_add(1);
        let factor = 1_u32 << (self.failures - 1).min(MAX_FACTOR.ilog2());
        let until = now + self.first.saturating_mul(factor);
        self.until = Some(until);
        until
    }

    /// Records a success: the registry is healthy again.
    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
        self.until = None;
    }

    /// `Some(when)` while requests must wait until `when`.
    pub(crate) fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.until.filter(|until| *until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_reset_on_success() {
        let now = Instant::now();
        let mut backoff = Backoff::new(Duration::from_secs(15));
        assert_eq!(backoff.paused_until(now), None);
        let pauses: Vec<u64> = (0..6)
            .map(|_| (backoff.failed(now) - now).as_secs())
            .collect();
        assert_eq!(pauses, [15, 30, 60, 120, 240, 240]);
        assert!(
            backoff
                .paused_until(now + Duration::from_secs(239))
                .is_some()
        );
        assert_eq!(backoff.paused_until(now + Duration::from_secs(240)), None);
        backoff.succeeded();
        assert_eq!(backoff.paused_until(now), None);
        assert_eq!((backoff.failed(now) - now).as_secs(), 15);
    }
}
