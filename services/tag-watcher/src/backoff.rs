//! Backing off a registry that keeps failing. The registry client already
//! retries each request (honouring `Retry-After`); when it gives up, the
//! registry is left alone for a while, so one cycle does not send every
//! repository's requests into an outage. Nothing is forgotten meanwhile:
//! targets keep their resolution, and the next cycle tries again.

use std::time::{Duration, Instant};

/// The pause after the first failure.
const FIRST: Duration = Duration::from_secs(15);

/// The longest pause; shorter than the default poll interval, so a
/// recovered registry is polled again at the next cycle.
const MAX: Duration = Duration::from_secs(240);

/// The back-off state of one registry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backoff {
    failures: u32,
    until: Option<Instant>,
}

impl Backoff {
    /// Records a failure at `now`; returns when requests may resume.
    pub(crate) fn failed(&mut self, now: Instant) -> Instant {
        self.failures = self.failures.saturating_add(1);
        let exponent = (self.failures - 1).min(16);
        let pause = FIRST.saturating_mul(1 << exponent).min(MAX);
        let until = now + pause;
        self.until = Some(until);
        until
    }

    /// Records a success: the registry is healthy again.
    pub(crate) fn succeeded(&mut self) {
        *self = Self::default();
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
        let mut backoff = Backoff::default();
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
