//! The daily guarantee: every live target gets a scan at least once per
//! interval (24 hours by default), so new advisories reach images that
//! nobody pushes.
//!
//! Targets created together (a bulk import of 10,000) would all come due in
//! the same minute every day. Each target is therefore due a fixed offset
//! *before* its interval ends, taken from a hash of its id within the jitter
//! window: the load spreads over the window, the interval is never exceeded
//! by the due time, and the same target always gets the same offset, on any
//! node and after any restart, without storing it.
//!
//! A due time is when the request goes out, not when the scan completes: a
//! target with an offset near zero completes one scan duration past the
//! interval. Pick the interval a little below a hard promise if that
//! matters.

use std::error::Error;
use std::fmt;
use std::time::{Duration, SystemTime};

/// How often and how spread out daily scans are. Built with
/// [`DailyConfig::new`], which rejects windows that would make targets due
/// straight after a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyConfig {
    interval: Duration,
    jitter: Duration,
}

/// Why a [`DailyConfig`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DailyConfigError {
    /// An interval of zero would ask for a scan all the time.
    ZeroInterval,
    /// The jitter window must be shorter than the interval, or a target
    /// could be due again right after its scan completes.
    JitterTooWide {
        /// The refused window.
        jitter: Duration,
        /// The interval it must stay below.
        interval: Duration,
    },
}

impl fmt::Display for DailyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroInterval => f.write_str("daily scan interval must be longer than zero"),
            Self::JitterTooWide { jitter, interval } => write!(
                f,
                "daily jitter window ({}s) must be shorter than the interval ({}s)",
                jitter.as_secs(),
                interval.as_secs()
            ),
        }
    }
}

impl Error for DailyConfigError {}

impl DailyConfig {
    /// A target is due `interval` after its last scan, minus its own offset
    /// within `jitter`.
    pub fn new(interval: Duration, jitter: Duration) -> Result<Self, DailyConfigError> {
        if interval.is_zero() {
            return Err(DailyConfigError::ZeroInterval);
        }
        if jitter >= interval {
            return Err(DailyConfigError::JitterTooWide { jitter, interval });
        }
        Ok(Self { interval, jitter })
    }

    /// Longest time between two daily-rule scans of one target.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Width of the window the due times spread over.
    pub fn jitter(&self) -> Duration {
        self.jitter
    }
}

impl Default for DailyConfig {
    /// 24 hours, spread over the last two.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(24 * 3600),
            jitter: Duration::from_secs(2 * 3600),
        }
    }
}

/// This target's offset within the jitter window, at millisecond grain.
///
/// FNV-1a with a SplitMix64 finish rather than std's hasher: std's is
/// allowed to change between Rust releases, and a change would move every
/// target's due time at once.
pub fn jitter_offset(target_id: &str, config: &DailyConfig) -> Duration {
    let window = u64::try_from(config.jitter.as_millis()).unwrap_or(u64::MAX);
    if window == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(stable_hash(target_id) % window)
}

/// When a target last scanned at `last_scanned` is due for its daily scan.
pub fn next_daily_at(
    last_scanned: SystemTime,
    target_id: &str,
    config: &DailyConfig,
) -> SystemTime {
    last_scanned
        + config
            .interval
            .saturating_sub(jitter_offset(target_id, config))
}

/// Whether the daily rule asks for a scan of this target at `now`.
///
/// `last_scanned` is [`TargetState::daily_anchor`](crate::TargetState::daily_anchor).
/// A target with none has never finished a scan: its first comes from its
/// creation, not from this rule. Whether the target is live and idle is the
/// state machine's call, which ignores the trigger otherwise.
pub fn due_for_daily(
    now: SystemTime,
    last_scanned: Option<SystemTime>,
    target_id: &str,
    config: &DailyConfig,
) -> bool {
    last_scanned.is_some_and(|last| next_daily_at(last, target_id, config) <= now)
}

fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // SplitMix64 finish: FNV's low bits are weak for ids that differ only
    // in their last characters, and the modulo above reads the low bits.
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at(hours: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000) + HOUR * hours as u32
    }

    #[test]
    fn a_target_scanned_25_hours_ago_is_due() {
        let config = DailyConfig::default();
        assert!(due_for_daily(at(25), Some(at(0)), "target-a", &config));
    }

    #[test]
    fn a_target_scanned_1_hour_ago_is_not_due() {
        let config = DailyConfig::default();
        assert!(!due_for_daily(at(25), Some(at(24)), "target-a", &config));
    }

    #[test]
    fn a_target_never_scanned_is_not_the_daily_rules_business() {
        assert!(!due_for_daily(
            at(100),
            None,
            "target-a",
            &DailyConfig::default()
        ));
    }

    #[test]
    fn due_exactly_at_the_due_time_and_not_a_millisecond_before() {
        let config = DailyConfig::default();
        let due = next_daily_at(at(0), "target-a", &config);
        assert!(due_for_daily(due, Some(at(0)), "target-a", &config));
        let just_before = due - Duration::from_millis(1);
        assert!(!due_for_daily(
            just_before,
            Some(at(0)),
            "target-a",
            &config
        ));
    }

    #[test]
    fn the_same_target_always_gets_the_same_due_time() {
        let config = DailyConfig::default();
        let first = next_daily_at(at(0), "target-a", &config);
        assert_eq!(first, next_daily_at(at(0), "target-a", &config));
        assert_ne!(first, next_daily_at(at(0), "target-b", &config));
    }

    #[test]
    fn offsets_are_pinned_so_a_hasher_change_cannot_move_every_target() {
        let config = DailyConfig::new(24 * HOUR, HOUR).unwrap();
        let offsets: Vec<u128> = ["target-a", "target-b", ""]
            .iter()
            .map(|id| jitter_offset(id, &config).as_millis())
            .collect();
        assert_eq!(offsets, PINNED_OFFSETS_MS);
    }
    const PINNED_OFFSETS_MS: [u128; 3] = [2_880_007, 1_002_285, 2_626_203];

    #[test]
    fn a_zero_jitter_makes_every_target_due_at_the_interval() {
        let config = DailyConfig::new(24 * HOUR, Duration::ZERO).unwrap();
        assert_eq!(next_daily_at(at(0), "target-a", &config), at(24));
    }

    #[test]
    fn ten_thousand_targets_spread_over_the_window() {
        let config = DailyConfig::default();
        let window_minutes = (config.jitter().as_secs() / 60) as usize;
        let earliest = at(0) + config.interval() - config.jitter();
        let latest = at(24);
        let mut per_minute = vec![0_u32; window_minutes];
        for n in 0..10_000 {
            let due = next_daily_at(at(0), &format!("0190d1e2-7c4f-7000-8000-{n:012}"), &config);
            assert!(
                due > earliest && due <= latest,
                "target {n} due outside the window"
            );
            let minute = latest.duration_since(due).unwrap().as_secs() / 60;
            per_minute[minute as usize] += 1;
        }
        // 10,000 over 120 minutes is 83 a minute on average.
        let busiest = per_minute.iter().max().copied().unwrap();
        let quietest = per_minute.iter().min().copied().unwrap();
        assert!(busiest <= 125, "{busiest} targets due in one minute");
        assert!(quietest >= 45, "only {quietest} targets due in one minute");
    }

    #[test]
    fn config_rejects_zero_interval_and_a_window_as_wide_as_the_interval() {
        assert_eq!(
            DailyConfig::new(Duration::ZERO, Duration::ZERO),
            Err(DailyConfigError::ZeroInterval)
        );
        let error = DailyConfig::new(HOUR, HOUR).unwrap_err();
        assert_eq!(
            error.to_string(),
            "daily jitter window (3600s) must be shorter than the interval (3600s)"
        );
    }
}
