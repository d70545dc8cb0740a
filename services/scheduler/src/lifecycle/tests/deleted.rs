//! A deleted target: nothing new starts, what runs may finish.

use super::*;

#[test]
fn a_deleted_idle_target_gets_no_new_scans() {
    let mut h = Harness::idle_after_a();
    assert_eq!(h.apply(Input::TargetDeleted, at(2)), []);
    assert!(h.state.deleted);
    for input in [
        changed("v2", "sha256:b"),
        Input::DailyDue,
        Input::DatabaseUpdated,
        Input::TargetDeleted,
    ] {
        assert_eq!(h.apply(input, at(3)), []);
    }
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.current, Some(ResolvedTag::new("v1", "sha256:a")));
}

#[test]
fn a_scan_in_flight_completes_and_its_follow_up_is_dropped() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    h.apply(Input::DatabaseUpdated, at(1));
    assert_eq!(h.apply(Input::TargetDeleted, at(2)), []);
    assert_eq!(h.state.pending_follow_up(), None);
    assert_eq!(h.apply(completed("scan-1"), at(5)), []);
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.last_completed_at, Some(at(5)));
}

#[test]
fn a_scan_in_flight_that_fails_is_recorded_without_retry() {
    let mut h = Harness::scanning_a();
    h.apply(Input::TargetDeleted, at(2));
    assert_eq!(
        h.apply(failed("scan-1", "registry returned 503", true), at(3)),
        [record_failed("scan-1", "registry returned 503", 1)]
    );
}

#[test]
fn a_scan_in_flight_that_times_out_is_not_requested_again() {
    let mut h = Harness::scanning_a();
    h.apply(Input::TargetDeleted, at(2));
    let deadline = at(0) + TIMEOUT;
    assert_eq!(
        h.apply(timed_out("scan-1"), deadline),
        [
            Action::RecordTimedOut {
                scan_id: ScanId::new("scan-1"),
            },
            record_failed("scan-1", "scanner gave no result within 30 minutes", 1),
        ]
    );
}

#[test]
fn a_waiting_retry_is_cancelled_and_recorded_failed() {
    let mut h = Harness::scanning_a();
    h.apply(failed("scan-1", "registry returned 503", true), at(1));
    assert_eq!(
        h.apply(Input::TargetDeleted, at(2)),
        [record_failed("scan-1", "registry returned 503", 1)]
    );
    assert_eq!(h.apply(retry_due("scan-1"), at(9)), []);
    assert_eq!(h.state.phase, Phase::Idle);
}
