//! Every transition of the target state machine, with the exact decisions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

const MINUTE: Duration = Duration::from_secs(60);
const TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// One target, a fixed config and a predictable id source: scan-1, scan-2…
struct Harness {
    state: TargetState,
    config: LifecycleConfig,
    issued: u32,
}

impl Harness {
    fn new() -> Self {
        Self {
            state: TargetState::new(),
            config: LifecycleConfig {
                scan_timeout: TIMEOUT,
                retry_base: Duration::from_secs(30),
                retry_cap: Duration::from_secs(100),
                max_attempts: 4,
            },
            issued: 0,
        }
    }

    /// A target whose first scan (scan-1, digest `a`) is in flight.
    fn scanning_a() -> Self {
        let mut h = Self::new();
        h.apply(created("v1", "sha256:a"), at(0));
        h
    }

    /// A target whose first scan completed at minute 1.
    fn idle_after_a() -> Self {
        let mut h = Self::scanning_a();
        h.apply(completed("scan-1"), at(1));
        h
    }

    fn apply(&mut self, input: Input, now: SystemTime) -> Vec<Action> {
        let issued = &mut self.issued;
        let mut new_scan_id = || {
            *issued += 1;
            ScanId::new(format!("scan-{issued}"))
        };
        self.state.apply(input, now, &self.config, &mut new_scan_id)
    }
}

fn at(minutes: u32) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000) + MINUTE * minutes
}

fn created(tag: &str, digest: &str) -> Input {
    Input::DigestChanged {
        resolved: ResolvedTag::new(tag, digest),
        reason: ChangeReason::TargetCreated,
    }
}

fn changed(tag: &str, digest: &str) -> Input {
    Input::DigestChanged {
        resolved: ResolvedTag::new(tag, digest),
        reason: ChangeReason::DigestChanged,
    }
}

fn completed(id: &str) -> Input {
    Input::ScanCompleted {
        scan_id: ScanId::new(id),
    }
}

fn failed(id: &str, error: &str, retryable: bool) -> Input {
    Input::ScanFailed {
        scan_id: ScanId::new(id),
        error: error.to_owned(),
        retryable,
    }
}

fn timed_out(id: &str) -> Input {
    Input::ScanTimedOut {
        scan_id: ScanId::new(id),
    }
}

fn retry_due(id: &str) -> Input {
    Input::RetryDue {
        scan_id: ScanId::new(id),
    }
}

/// The request an id, image and reason make at minute `now`.
fn request(id: &str, tag: &str, digest: &str, reason: ScanReason, now: u32) -> Action {
    Action::RequestScan(ScanRequest {
        scan_id: ScanId::new(id),
        resolved: ResolvedTag::new(tag, digest),
        reason,
        attempt: 1,
        previous_attempt: None,
        deadline: at(now) + TIMEOUT,
    })
}

/// A later attempt of `previous`, requested at `now` (any unit of time).
fn retry(id: &str, previous: &str, attempt: u32, now: SystemTime) -> Action {
    Action::RequestScan(ScanRequest {
        scan_id: ScanId::new(id),
        resolved: ResolvedTag::new("v1", "sha256:a"),
        reason: ScanReason::Retry,
        attempt,
        previous_attempt: Some(ScanId::new(previous)),
        deadline: now + TIMEOUT,
    })
}

fn record_failed(id: &str, error: &str, attempts: u32) -> Action {
    Action::RecordFailed {
        scan_id: ScanId::new(id),
        error: error.to_owned(),
        attempts,
    }
}

mod deleted;
mod failing;
mod idle;
mod running;
