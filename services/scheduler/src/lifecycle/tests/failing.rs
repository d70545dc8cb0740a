//! Failures, retries and timeouts.

use super::*;

const SEC: Duration = Duration::from_secs(1);

#[test]
fn a_non_retryable_failure_is_recorded_at_once() {
    let mut h = Harness::scanning_a();
    let actions = h.apply(failed("scan-1", "manifest is schema 1", false), at(2));
    assert_eq!(
        actions,
        [record_failed("scan-1", "manifest is schema 1", 1)]
    );
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.last_failed_at, Some(at(2)));
    assert_eq!(h.state.last_completed_at, None);
}

#[test]
fn retries_wait_longer_each_time_and_stop_at_the_last_attempt() {
    let mut h = Harness::scanning_a();
    let error = "registry returned 503";
    let mut now = at(0);
    // Delays 30 s, 60 s, then capped at 100 s; attempt 4 is the last.
    for (attempt, delay) in [(1, 30), (2, 60), (3, 100)] {
        let id = format!("scan-{attempt}");
        let retry_at = now + SEC * delay;
        assert_eq!(
            h.apply(failed(&id, error, true), now),
            [Action::ScheduleRetry {
                scan_id: ScanId::new(id.as_str()),
                at: retry_at,
            }]
        );
        assert_eq!(h.apply(retry_due(&id), retry_at - SEC), [], "early timer");
        now = retry_at;
        let next = format!("scan-{}", attempt + 1);
        assert_eq!(
            h.apply(retry_due(&id), now),
            [retry(&next, &id, attempt + 1, now)]
        );
    }
    assert_eq!(
        h.apply(failed("scan-4", error, true), now),
        [record_failed("scan-4", error, 4)]
    );
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.last_completed_at, None, "a failure is never clean");
}

#[test]
fn a_retry_that_completes_ends_the_scan() {
    let mut h = Harness::scanning_a();
    h.apply(failed("scan-1", "registry returned 503", true), at(1));
    h.apply(retry_due("scan-1"), at(2));
    assert_eq!(h.apply(completed("scan-2"), at(3)), []);
    assert_eq!(h.state.phase, Phase::Idle);
    assert_eq!(h.state.last_completed_at, Some(at(3)));
}

#[test]
fn triggers_while_waiting_to_retry_are_absorbed_by_the_retry() {
    let mut h = Harness::scanning_a();
    h.apply(failed("scan-1", "registry returned 503", true), at(1));
    let before = h.state.clone();
    assert_eq!(h.apply(Input::DailyDue, at(1)), []);
    assert_eq!(h.apply(Input::DatabaseUpdated, at(1)), []);
    assert_eq!(h.apply(changed("stable", "sha256:a"), at(1)), []);
    assert_eq!(h.state.phase, before.phase);
}

#[test]
fn a_newer_digest_while_waiting_to_retry_supersedes_the_retry() {
    let mut h = Harness::scanning_a();
    h.apply(failed("scan-1", "registry returned 503", true), at(1));
    assert_eq!(
        h.apply(changed("v2", "sha256:b"), at(2)),
        [
            record_failed("scan-1", "registry returned 503", 1),
            request("scan-2", "v2", "sha256:b", ScanReason::DigestChanged, 2),
        ]
    );
    assert_eq!(h.apply(retry_due("scan-1"), at(3)), [], "stale retry timer");
}

#[test]
fn a_retryable_failure_with_a_newer_digest_pending_is_not_retried() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    assert_eq!(
        h.apply(failed("scan-1", "registry returned 503", true), at(2)),
        [
            record_failed("scan-1", "registry returned 503", 1),
            request("scan-2", "v2", "sha256:b", ScanReason::DigestChanged, 2),
        ]
    );
}

#[test]
fn a_failed_scan_drops_its_database_follow_up() {
    let mut h = Harness::scanning_a();
    h.apply(Input::DatabaseUpdated, at(1));
    assert_eq!(
        h.apply(failed("scan-1", "image is corrupt", false), at(2)),
        [record_failed("scan-1", "image is corrupt", 1)]
    );
}

#[test]
fn a_timeout_requests_the_same_digest_as_attempt_2() {
    let mut h = Harness::scanning_a();
    let deadline = at(0) + TIMEOUT;
    assert_eq!(
        h.apply(timed_out("scan-1"), deadline - SEC),
        [],
        "early timer"
    );
    assert_eq!(
        h.apply(timed_out("scan-1"), deadline),
        [
            Action::RecordTimedOut {
                scan_id: ScanId::new("scan-1"),
            },
            retry("scan-2", "scan-1", 2, deadline),
        ]
    );
}

#[test]
fn a_late_answer_from_the_timed_out_attempt_is_ignored() {
    let mut h = Harness::scanning_a();
    let deadline = at(0) + TIMEOUT;
    h.apply(changed("v2", "sha256:b"), at(1));
    h.apply(changed("v1", "sha256:a"), at(2));
    h.apply(timed_out("scan-1"), deadline);
    let waiting_for_attempt_2 = h.state.clone();

    assert_eq!(h.apply(completed("scan-1"), deadline + MINUTE), []);
    assert_eq!(
        h.apply(failed("scan-1", "killed", true), deadline + MINUTE),
        []
    );
    assert_eq!(h.state, waiting_for_attempt_2);

    let done = deadline + MINUTE * 2;
    assert_eq!(h.apply(completed("scan-2"), done), []);
    assert_eq!(h.state.last_completed_at, Some(done));
    assert_eq!(h.state.phase, Phase::Idle);
}

#[test]
fn timeouts_count_towards_the_attempt_limit() {
    let mut h = Harness::scanning_a();
    let mut deadline = at(0) + TIMEOUT;
    for attempt in 1..4 {
        let actions = h.apply(timed_out(&format!("scan-{attempt}")), deadline);
        assert_eq!(actions.len(), 2);
        deadline += TIMEOUT;
    }
    assert_eq!(
        h.apply(timed_out("scan-4"), deadline),
        [
            Action::RecordTimedOut {
                scan_id: ScanId::new("scan-4"),
            },
            record_failed("scan-4", "scanner gave no result within 30 minutes", 4),
        ]
    );
    assert_eq!(h.state.phase, Phase::Idle);
}

#[test]
fn a_timeout_with_a_newer_digest_pending_moves_on_to_it() {
    let mut h = Harness::scanning_a();
    let deadline = at(0) + TIMEOUT;
    h.apply(changed("v2", "sha256:b"), at(1));
    assert_eq!(
        h.apply(timed_out("scan-1"), deadline),
        [
            Action::RecordTimedOut {
                scan_id: ScanId::new("scan-1"),
            },
            record_failed("scan-1", "scanner gave no result within 30 minutes", 1),
            Action::RequestScan(ScanRequest {
                scan_id: ScanId::new("scan-2"),
                resolved: ResolvedTag::new("v2", "sha256:b"),
                reason: ScanReason::DigestChanged,
                attempt: 1,
                previous_attempt: None,
                deadline: deadline + TIMEOUT,
            }),
        ]
    );
}
