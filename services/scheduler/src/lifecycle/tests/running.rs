//! Triggers while a scan is in flight: one follow-up, never a second scan.

use super::*;

#[test]
fn three_changes_while_scanning_leave_one_follow_up_for_the_newest() {
    let mut h = Harness::scanning_a();
    assert_eq!(h.apply(changed("v2", "sha256:b"), at(1)), []);
    assert_eq!(h.apply(changed("v3", "sha256:c"), at(2)), []);
    assert_eq!(h.apply(changed("v4", "sha256:d"), at(3)), []);
    assert_eq!(
        h.state.pending_follow_up(),
        Some((
            ResolvedTag::new("v4", "sha256:d"),
            ScanReason::DigestChanged
        ))
    );
    let actions = h.apply(completed("scan-1"), at(5));
    assert_eq!(
        actions,
        [request(
            "scan-2",
            "v4",
            "sha256:d",
            ScanReason::DigestChanged,
            5
        )]
    );
    assert_eq!(h.state.pending_follow_up(), None);
    assert_eq!(h.apply(completed("scan-2"), at(9)), []);
}

#[test]
fn a_change_back_to_the_digest_being_scanned_cancels_the_follow_up() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    assert_eq!(h.apply(changed("v1", "sha256:a"), at(2)), []);
    assert_eq!(h.state.pending_follow_up(), None);
    assert_eq!(h.apply(completed("scan-1"), at(5)), []);
    assert_eq!(h.state.phase, Phase::Idle);
}

#[test]
fn a_new_tag_on_the_digest_being_scanned_needs_no_follow_up() {
    let mut h = Harness::scanning_a();
    assert_eq!(h.apply(changed("stable", "sha256:a"), at(1)), []);
    assert_eq!(h.apply(completed("scan-1"), at(5)), []);
    assert_eq!(
        h.state.current,
        Some(ResolvedTag::new("stable", "sha256:a"))
    );
}

#[test]
fn daily_while_scanning_the_current_digest_needs_nothing_more() {
    let mut h = Harness::scanning_a();
    assert_eq!(h.apply(Input::DailyDue, at(1)), []);
    assert_eq!(h.state.pending_follow_up(), None);
    assert_eq!(h.apply(completed("scan-1"), at(5)), []);
}

#[test]
fn daily_while_a_follow_up_is_pending_is_absorbed() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    assert_eq!(h.apply(Input::DailyDue, at(2)), []);
    assert_eq!(
        h.apply(completed("scan-1"), at(5)),
        [request(
            "scan-2",
            "v2",
            "sha256:b",
            ScanReason::DigestChanged,
            5
        )]
    );
}

#[test]
fn database_updates_while_scanning_match_the_digest_again_once() {
    let mut h = Harness::scanning_a();
    assert_eq!(h.apply(Input::DatabaseUpdated, at(1)), []);
    assert_eq!(h.apply(Input::DatabaseUpdated, at(2)), []);
    assert_eq!(
        h.state.pending_follow_up(),
        Some((
            ResolvedTag::new("v1", "sha256:a"),
            ScanReason::DatabaseUpdated
        ))
    );
    assert_eq!(
        h.apply(completed("scan-1"), at(5)),
        [request(
            "scan-2",
            "v1",
            "sha256:a",
            ScanReason::DatabaseUpdated,
            5
        )]
    );
    assert_eq!(h.apply(completed("scan-2"), at(9)), []);
}

#[test]
fn a_database_update_is_absorbed_by_a_pending_digest_follow_up() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    assert_eq!(h.apply(Input::DatabaseUpdated, at(2)), []);
    assert_eq!(
        h.apply(completed("scan-1"), at(5)),
        [request(
            "scan-2",
            "v2",
            "sha256:b",
            ScanReason::DigestChanged,
            5
        )]
    );
}

#[test]
fn a_database_update_survives_a_change_away_and_back() {
    let mut h = Harness::scanning_a();
    h.apply(Input::DatabaseUpdated, at(1));
    h.apply(changed("v2", "sha256:b"), at(2));
    h.apply(changed("v1", "sha256:a"), at(3));
    assert_eq!(
        h.apply(completed("scan-1"), at(5)),
        [request(
            "scan-2",
            "v1",
            "sha256:a",
            ScanReason::DatabaseUpdated,
            5
        )]
    );
}

#[test]
fn events_for_other_scan_ids_change_nothing_while_scanning() {
    let mut h = Harness::scanning_a();
    h.apply(changed("v2", "sha256:b"), at(1));
    let before = h.state.clone();
    for input in [
        completed("scan-0"),
        failed("scan-0", "registry unreachable", true),
        timed_out("scan-0"),
        retry_due("scan-1"),
    ] {
        assert_eq!(h.apply(input, at(100)), []);
    }
    assert_eq!(h.state, before);
}
