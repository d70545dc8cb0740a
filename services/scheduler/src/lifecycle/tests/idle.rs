//! Transitions from idle: what starts a scan and what does not.

use super::*;
use crate::daily::{DailyConfig, due_for_daily};

#[test]
fn first_resolution_requests_a_scan_with_reason_target_created() {
    let mut h = Harness::new();
    let actions = h.apply(created("v1", "sha256:a"), at(0));
    assert_eq!(
        actions,
        [request(
            "scan-1",
            "v1",
            "sha256:a",
            ScanReason::TargetCreated,
            0
        )]
    );
    assert_eq!(
        h.state.phase,
        Phase::Scanning {
            scan: Scan {
                id: ScanId::new("scan-1"),
                resolved: ResolvedTag::new("v1", "sha256:a"),
                reason: ScanReason::TargetCreated,
                attempt: 1,
            },
            deadline: at(0) + TIMEOUT,
            database_updated: false,
        }
    );
}

#[test]
fn completion_returns_to_idle_and_records_the_time() {
    let mut h = Harness::scanning_a();
    assert_eq!(h.apply(completed("scan-1"), at(7)), []);
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.last_completed_at, Some(at(7)));
    assert_eq!(h.state.daily_anchor(), Some(at(7)));
}

#[test]
fn a_new_digest_requests_a_scan_with_reason_digest_changed() {
    let mut h = Harness::idle_after_a();
    let actions = h.apply(changed("v2", "sha256:b"), at(10));
    assert_eq!(
        actions,
        [request(
            "scan-2",
            "v2",
            "sha256:b",
            ScanReason::DigestChanged,
            10
        )]
    );
}

#[test]
fn a_known_digest_requests_nothing_but_the_new_tag_is_kept() {
    let mut h = Harness::idle_after_a();
    assert_eq!(h.apply(changed("v1", "sha256:a"), at(10)), []);
    assert_eq!(h.apply(changed("stable", "sha256:a"), at(11)), []);
    assert_eq!(
        h.state.current,
        Some(ResolvedTag::new("stable", "sha256:a"))
    );
    assert_eq!(h.state.phase, Phase::Idle);
}

#[test]
fn daily_requests_the_current_digest_with_reason_daily() {
    let mut h = Harness::idle_after_a();
    let actions = h.apply(Input::DailyDue, at(20));
    assert_eq!(
        actions,
        [request("scan-2", "v1", "sha256:a", ScanReason::Daily, 20)]
    );
}

#[test]
fn database_update_requests_the_current_digest() {
    let mut h = Harness::idle_after_a();
    let actions = h.apply(Input::DatabaseUpdated, at(20));
    assert_eq!(
        actions,
        [request(
            "scan-2",
            "v1",
            "sha256:a",
            ScanReason::DatabaseUpdated,
            20
        )]
    );
}

#[test]
fn triggers_before_the_first_resolution_request_nothing() {
    let mut h = Harness::new();
    assert_eq!(h.apply(Input::DailyDue, at(0)), []);
    assert_eq!(h.apply(Input::DatabaseUpdated, at(0)), []);
    assert_eq!(h.state, TargetState::new());
}

#[test]
fn scan_events_for_unknown_ids_change_nothing_when_idle() {
    let mut h = Harness::idle_after_a();
    let before = h.state.clone();
    for input in [
        completed("scan-1"),
        failed("scan-1", "registry unreachable", true),
        timed_out("scan-1"),
        retry_due("scan-1"),
        completed("scan-99"),
    ] {
        assert_eq!(h.apply(input, at(100)), []);
    }
    assert_eq!(h.state, before);
}

/// The daily planner and the state machine together, clock injected.
fn daily_requests(last_scanned_minutes_ago: u32) -> Vec<Action> {
    let mut h = Harness::scanning_a();
    h.apply(completed("scan-1"), at(0));
    let now = at(last_scanned_minutes_ago);
    let config = DailyConfig::default();
    if due_for_daily(now, h.state.daily_anchor(), "target-1", &config) {
        h.apply(Input::DailyDue, now)
    } else {
        Vec::new()
    }
}

#[test]
fn a_target_scanned_25_hours_ago_gets_one_daily_request() {
    assert_eq!(
        daily_requests(25 * 60),
        [request(
            "scan-2",
            "v1",
            "sha256:a",
            ScanReason::Daily,
            25 * 60
        )]
    );
}

#[test]
fn a_target_scanned_1_hour_ago_gets_no_daily_request() {
    assert_eq!(daily_requests(60), []);
}

#[test]
fn the_daily_anchor_is_the_later_of_completion_and_final_failure() {
    let mut h = Harness::idle_after_a();
    h.apply(changed("v2", "sha256:b"), at(10));
    h.apply(failed("scan-2", "manifest is schema 1", false), at(12));
    assert_eq!(h.state.last_completed_at, Some(at(1)));
    assert_eq!(h.state.last_failed_at, Some(at(12)));
    assert_eq!(h.state.daily_anchor(), Some(at(12)));
}
