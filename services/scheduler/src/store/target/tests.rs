//! The target row keeps every state the machine can be in.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::ScanReason;

fn at(minutes: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + minutes * 60)
}

fn scan(id: &str, attempt: u32) -> Scan {
    Scan {
        id: ScanId::new(id),
        resolved: ResolvedTag::new("v1", "sha256:a"),
        reason: ScanReason::Retry,
        attempt,
    }
}

fn target(state: TargetState) -> StoredTarget {
    StoredTarget {
        image: ImageLocation {
            integration_id: "int-1".into(),
            provider: "oci".into(),
            account: String::new(),
            registry: "registry.example:5000".into(),
            repository: "team/app".into(),
        },
        state,
        changed_at: Some(at(3)),
        stored: true,
        ..StoredTarget::new("target-1")
    }
}

fn round_trip(state: TargetState) {
    let original = target(state);
    let back = StoredTarget::from_model(original.to_model(&DailyConfig::default())).unwrap();
    assert_eq!(back, original);
}

#[test]
fn every_phase_round_trips_through_the_row() {
    let current = Some(ResolvedTag::new("v2", "sha256:b"));
    round_trip(TargetState::new());
    round_trip(TargetState {
        current: current.clone(),
        phase: Phase::Scanning {
            scan: scan("scan-2", 2),
            deadline: at(40),
            database_updated: true,
        },
        deleted: false,
        last_completed_at: Some(at(1)),
        last_failed_at: Some(at(2)),
    });
    round_trip(TargetState {
        current,
        phase: Phase::AwaitingRetry {
            scan: scan("scan-3", 3),
            retry_at: at(50),
            error: "registry returned 503".into(),
        },
        deleted: true,
        last_completed_at: None,
        last_failed_at: None,
    });
}

#[test]
fn only_live_idle_targets_with_a_past_scan_are_due_daily() {
    let daily = DailyConfig::default();
    let idle = TargetState {
        current: Some(ResolvedTag::new("v1", "sha256:a")),
        last_completed_at: Some(at(0)),
        ..TargetState::new()
    };
    let due = target(idle.clone()).to_model(&daily).daily_due_at_ms;
    let expected = next_daily_at(at(0), "target-1", &daily);
    assert_eq!(due, Some(to_millis(expected)));

    let deleted = TargetState {
        deleted: true,
        ..idle.clone()
    };
    let scanning = TargetState {
        phase: Phase::Scanning {
            scan: scan("scan-1", 1),
            deadline: at(30),
            database_updated: false,
        },
        ..idle
    };
    for state in [deleted, scanning, TargetState::new()] {
        assert_eq!(target(state).to_model(&daily).daily_due_at_ms, None);
    }
}

#[test]
fn the_wake_time_is_the_deadline_or_the_retry_time() {
    let daily = DailyConfig::default();
    let scanning = TargetState {
        phase: Phase::Scanning {
            scan: scan("scan-1", 1),
            deadline: at(30),
            database_updated: false,
        },
        ..TargetState::new()
    };
    assert_eq!(
        target(scanning).to_model(&daily).wake_at_ms,
        Some(to_millis(at(30)))
    );
    assert_eq!(target(TargetState::new()).to_model(&daily).wake_at_ms, None);
}

#[test]
fn a_row_that_says_scanning_without_a_scan_is_refused() {
    let mut row = target(TargetState::new()).to_model(&DailyConfig::default());
    row.phase = "scanning".into();
    let error = StoredTarget::from_model(row).unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "target target-1 is corrupt: phase \"scanning\" without its scan or time"
    );
}
