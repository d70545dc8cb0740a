//! How patient the scheduler is with one scan: the timeout that declares a
//! scanner dead and the backoff between retries.

use std::time::Duration;

/// Limits of one scan's attempts. The service fills this from its config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// How long an attempt may go without `scans.completed` or
    /// `scans.failed` before the scanner is presumed dead and the scan is
    /// requested again.
    pub scan_timeout: Duration,
    /// Delay before the first retry of a retryable failure; each further
    /// retry waits twice as long as the one before.
    pub retry_base: Duration,
    /// Longest delay between two attempts, however many came before.
    pub retry_cap: Duration,
    /// Attempts in all, the first included, before a scan is recorded as
    /// failed. Timeouts count as attempts too, so a scanner that dies on an
    /// image every time cannot loop forever. Zero is read as one.
    pub max_attempts: u32,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            scan_timeout: Duration::from_secs(30 * 60),
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(15 * 60),
            max_attempts: 5,
        }
    }
}

impl LifecycleConfig {
    /// Delay after attempt `failed_attempt` (1-based) failed: the base,
    /// doubled per earlier attempt, never above the cap.
    pub fn retry_delay(&self, failed_attempt: u32) -> Duration {
        let doublings = failed_attempt.saturating_sub(1).min(31);
        self.retry_base
            .saturating_mul(1_u32 << doublings)
            .min(self.retry_cap)
    }

    /// Whether an attempt numbered `attempt` may be followed by another.
    pub(crate) fn may_retry_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts.max(1)
    }
}

/// Words for the timeout failure, e.g. "no result within 30 minutes".
pub(crate) fn timeout_error(timeout: Duration) -> String {
    let secs = timeout.as_secs();
    let (count, unit) = if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("scanner gave no result within {count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_from_the_base_and_stops_at_the_cap() {
        let config = LifecycleConfig {
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(100),
            ..LifecycleConfig::default()
        };
        let delays: Vec<u64> = (1..=5).map(|n| config.retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [30, 60, 100, 100, 100]);
        assert_eq!(config.retry_delay(u32::MAX), Duration::from_secs(100));
    }

    #[test]
    fn zero_max_attempts_means_a_single_attempt() {
        let config = LifecycleConfig {
            max_attempts: 0,
            ..LifecycleConfig::default()
        };
        assert!(!config.may_retry_after(1));
    }

    #[test]
    fn timeout_error_names_the_largest_whole_unit() {
        assert_eq!(
            timeout_error(Duration::from_secs(1800)),
            "scanner gave no result within 30 minutes"
        );
        assert_eq!(
            timeout_error(Duration::from_secs(3600)),
            "scanner gave no result within 1 hour"
        );
        assert_eq!(
            timeout_error(Duration::from_secs(90)),
            "scanner gave no result within 90 seconds"
        );
    }
}
