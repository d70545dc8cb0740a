//! The scheduler's own settings, under `[service]` in its config file or
//! `TAGWARDEN_SERVICE__*` in the environment. Durations are seconds.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use tagwarden_runtime::config::seconds;

use crate::{DailyConfig, LifecycleConfig};

/// How patient the scheduler is, how often it scans, and how often it
/// looks at its timers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// How long a requested scan may go without a result before the scanner
    /// is presumed dead and the scan is requested again.
    #[serde(deserialize_with = "seconds")]
    pub scan_timeout: Duration,
    /// Delay before the first retry of a failed scan; doubles per attempt.
    #[serde(deserialize_with = "seconds")]
    pub retry_base: Duration,
    /// Longest delay between two attempts.
    #[serde(deserialize_with = "seconds")]
    pub retry_cap: Duration,
    /// Attempts in all (timeouts included) before a scan is recorded failed.
    pub max_attempts: u32,
    /// Longest time between two scans of a live target.
    #[serde(deserialize_with = "seconds")]
    pub daily_interval: Duration,
    /// Window before the interval ends over which daily scans are spread.
    #[serde(deserialize_with = "seconds")]
    pub daily_jitter: Duration,
    /// How often due timers (daily scans, retries, timeouts) are looked for.
    #[serde(deserialize_with = "seconds")]
    pub tick: Duration,
    /// Most targets one tick handles per kind of timer; the rest wait for
    /// the next tick, so a backlog after downtime drains in steady steps.
    pub timer_batch: u64,
    /// How often scan requests that could not be published are tried again.
    #[serde(deserialize_with = "seconds")]
    pub outbox_retry: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        let lifecycle = LifecycleConfig::default();
        let daily = DailyConfig::default();
        Self {
            scan_timeout: lifecycle.scan_timeout,
            retry_base: lifecycle.retry_base,
            retry_cap: lifecycle.retry_cap,
            max_attempts: lifecycle.max_attempts,
            daily_interval: daily.interval(),
            daily_jitter: daily.jitter(),
            tick: Duration::from_secs(1),
            timer_batch: 500,
            outbox_retry: Duration::from_secs(2),
        }
    }
}

impl Settings {
    /// The state machine's limits.
    pub fn lifecycle(&self) -> LifecycleConfig {
        LifecycleConfig {
            scan_timeout: self.scan_timeout,
            retry_base: self.retry_base,
            retry_cap: self.retry_cap,
            max_attempts: self.max_attempts,
        }
    }

    /// The daily rule, refused when its window does not fit its interval.
    pub fn daily(&self) -> anyhow::Result<DailyConfig> {
        DailyConfig::new(self.daily_interval, self.daily_jitter)
            .context("invalid service.daily_interval / service.daily_jitter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_domain_defaults() {
        let settings = Settings::default();
        assert_eq!(settings.lifecycle(), LifecycleConfig::default());
        assert_eq!(settings.daily().unwrap(), DailyConfig::default());
    }

    #[test]
    fn a_jitter_as_wide_as_the_interval_is_refused_with_the_keys_named() {
        let settings = Settings {
            daily_jitter: Duration::from_secs(24 * 3600),
            ..Settings::default()
        };
        let error = format!("{:#}", settings.daily().unwrap_err());
        assert!(
            error.starts_with("invalid service.daily_interval"),
            "{error}"
        );
    }
}
