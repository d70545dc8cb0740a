//! The scanner's own re-match after a database import: a `scans.completed`
//! with reason "database updated" under a scan id the scheduler never made
//! joins the history once, and leaves the target's scanning alone.

use std::time::Duration;

use tagwarden_bus::events::{ScanCompleted, ScanReason, SeverityCounts};
use tagwarden_bus::{Event, Stream, Subject};
use tagwarden_proto::scheduler::v1::{Scan, ScanStatus};
use tagwarden_scheduler::Clock as _;
use tonic::Code;

use crate::support::{App, Store, digest, publish_twice, spawn_app};

const REMATCH_ID: &str = "01990000-0000-7000-8000-00000000d8b1";

/// A re-match of `target` at `digest`, started a minute from now and
/// taking a second and a half, as the scanner reports it.
fn rematch(app: &App, scan_id: &str, target: &str, digest: &str) -> ScanCompleted {
    let started = app.clock.now() + Duration::from_secs(60);
    ScanCompleted {
        scan_id: scan_id.into(),
        target_id: target.into(),
        digest: digest.into(),
        counts: Some(SeverityCounts {
            critical: 1,
            high: 2,
            medium: 3,
            low: 4,
            unknown: 5,
        }),
        new_issues: 6,
        fixed_issues: 7,
        reopened_issues: 8,
        database_version: "osv-test-2".into(),
        started_at: Some(started.into()),
        finished_at: Some((started + Duration::from_millis(1_500)).into()),
        reason: ScanReason::DatabaseUpdated.into(),
    }
}

/// The history row the scheduler should show for `result` of target-1.
fn expected_row(result: &ScanCompleted, tag: &str) -> Scan {
    Scan {
        id: result.scan_id.clone(),
        target_id: "target-1".into(),
        image: "registry.test:5000/team/web".into(),
        tag: tag.into(),
        digest: result.digest.clone(),
        reason: ScanReason::DatabaseUpdated.into(),
        status: ScanStatus::Completed.into(),
        requested_at: result.started_at,
        started_at: result.started_at,
        finished_at: result.finished_at,
        counts: result.counts,
        error: String::new(),
        attempt: 1,
        duration: Some(prost_types::Duration {
            seconds: 1,
            nanos: 500_000_000,
        }),
        new_issues: 6,
        fixed_issues: 7,
        reopened_issues: 8,
        database_version: "osv-test-2".into(),
        previous_scan_id: String::new(),
    }
}

async fn a_rematch_delivered_three_times_is_recorded_once(store: Store) {
    let mut app = spawn_app(store).await;
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let first = app.scanner.next().await;
    app.complete(&first, SeverityCounts::default()).await;
    app.scan_reaches(&first.scan_id, ScanStatus::Completed.into())
        .await;

    let result = rematch(&app, REMATCH_ID, "target-1", &digest('a'));
    // The same envelope twice (the inbox drops the copy), then the same
    // result under a new event id (the store must drop that one).
    let envelope = app.bus.envelope(Event::ScanCompleted(result.clone()));
    publish_twice(&app, &envelope, Subject::ScanCompleted).await;
    let again = Event::ScanCompleted(result.clone());
    app.bus.publish(again).await.unwrap();
    app.handled("scheduler-scan-completed", Stream::Scans).await;

    let history = app.history("target-1").await;
    let ids: Vec<&str> = history.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [REMATCH_ID, first.scan_id.as_str()]);
    assert_eq!(history[0], expected_row(&result, "v1"));
    assert_eq!(app.scan(REMATCH_ID).await, expected_row(&result, "v1"));
    assert_eq!(history[1].status(), ScanStatus::Completed);
    app.scanner.assert_idle();
    app.stop().await;
}

#[tokio::test]
async fn a_rematch_delivered_three_times_is_recorded_once_on_sqlite() {
    a_rematch_delivered_three_times_is_recorded_once(Store::Sqlite).await;
}

#[tokio::test]
async fn a_rematch_delivered_three_times_is_recorded_once_on_postgres() {
    a_rematch_delivered_three_times_is_recorded_once(Store::Postgres).await;
}

#[tokio::test]
async fn a_rematch_while_scanning_leaves_the_scan_in_flight() {
    let mut app = spawn_app(Store::Sqlite).await;
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let first = app.scanner.next().await;

    let result = rematch(&app, REMATCH_ID, "target-1", &digest('a'));
    app.bus
        .publish(Event::ScanCompleted(result.clone()))
        .await
        .unwrap();
    app.handled("scheduler-scan-completed", Stream::Scans).await;

    // The requested scan still waits for its own result.
    assert_eq!(app.scan(REMATCH_ID).await, expected_row(&result, "v1"));
    let scan = app.scan(&first.scan_id).await;
    assert_eq!(scan.status(), ScanStatus::Queued);
    app.scanner.assert_idle();

    // Its result ends it, with no follow-up for the re-match.
    app.complete(&first, SeverityCounts::default()).await;
    app.scan_reaches(&first.scan_id, ScanStatus::Completed.into())
        .await;
    app.handled("scheduler-scan-completed", Stream::Scans).await;
    assert_eq!(app.history("target-1").await.len(), 2);
    app.scanner.assert_idle();
    app.stop().await;
}

#[tokio::test]
async fn stray_results_stay_out_of_history() {
    let mut app = spawn_app(Store::Sqlite).await;
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let first = app.scanner.next().await;

    // An unknown scan of a known target, for a reason other than a
    // database update.
    let daily = ScanCompleted {
        reason: ScanReason::Daily.into(),
        ..rematch(&app, "stray-daily", "target-1", &digest('a'))
    };
    app.bus.publish(Event::ScanCompleted(daily)).await.unwrap();
    // A re-match of a target the scheduler does not know.
    let unknown = rematch(&app, "stray-target", "target-9", &digest('a'));
    app.bus
        .publish(Event::ScanCompleted(unknown))
        .await
        .unwrap();
    app.handled("scheduler-scan-completed", Stream::Scans).await;

    let history = app.history("target-1").await;
    let ids: Vec<&str> = history.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [first.scan_id.as_str()]);
    assert_eq!(app.history("target-9").await, []);
    for id in ["stray-daily", "stray-target"] {
        let request = tagwarden_proto::scheduler::v1::GetScanRequest { id: id.into() };
        let status = app.api.get_scan(request).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{id}");
    }
    app.scanner.assert_idle();
    app.stop().await;
}
