//! Failed scans: retried with growing delay up to the attempt limit, then
//! recorded as failed with the scanner's reason, never as clean.

use std::time::Duration;

use tagwarden_bus::Event;
use tagwarden_bus::events::{ScanFailed, ScanReason, ScanRequested};
use tagwarden_proto::scheduler::v1::ScanStatus;
use tagwarden_scheduler::Clock as _;

use crate::support::{App, Store, digest, spawn_app};

const MINUTE: Duration = Duration::from_secs(60);

async fn fail(app: &mut App, request: &ScanRequested, error: &str, retryable: bool) {
    let event = Event::ScanFailed(ScanFailed {
        scan_id: request.scan_id.clone(),
        target_id: request.target_id.clone(),
        digest: request.digest.clone(),
        error: error.into(),
        retryable,
        ..ScanFailed::default()
    });
    app.bus.publish(event).await.unwrap();
    app.scan_reaches(&request.scan_id, ScanStatus::Failed.into())
        .await;
}

#[tokio::test]
async fn a_failing_scan_is_retried_with_growing_delay_then_recorded_failed() {
    let mut app = spawn_app(Store::Sqlite).await;
    let start = app.clock.now();
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let first = app.scanner.next().await;
    fail(&mut app, &first, "registry returned 503", true).await;

    app.tick_at(start + MINUTE - Duration::from_millis(1)).await;
    assert_eq!(app.history("target-1").await.len(), 1);
    app.tick_at(start + MINUTE).await;
    let second = app.scanner.next().await;
    assert_eq!((second.reason(), second.attempt), (ScanReason::Retry, 2));
    fail(&mut app, &second, "registry returned 503", true).await;

    // The delay doubles: two minutes after the second failure.
    app.tick_at(start + 3 * MINUTE - Duration::from_millis(1))
        .await;
    assert_eq!(app.history("target-1").await.len(), 2);
    app.tick_at(start + 3 * MINUTE).await;
    let third = app.scanner.next().await;
    assert_eq!(third.attempt, 3);
    fail(&mut app, &third, "registry returned 503 again", true).await;

    // Three attempts was the limit: nothing more, whatever the time.
    app.tick_at(start + 60 * MINUTE).await;
    app.scanner.assert_idle();
    let history = app.history("target-1").await;
    let shown: Vec<(u32, ScanStatus, &str)> = history
        .iter()
        .map(|s| (s.attempt, s.status(), s.error.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (3, ScanStatus::Failed, "registry returned 503 again"),
            (2, ScanStatus::Failed, "registry returned 503"),
            (1, ScanStatus::Failed, "registry returned 503"),
        ]
    );
    assert!(history.iter().all(|s| s.counts.is_none()));
    app.stop().await;
}

#[tokio::test]
async fn a_failure_retrying_cannot_help_is_recorded_at_once() {
    let mut app = spawn_app(Store::Sqlite).await;
    let start = app.clock.now();
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let only = app.scanner.next().await;
    fail(&mut app, &only, "manifest is schema 1", false).await;

    app.tick_at(start + 60 * MINUTE).await;
    app.scanner.assert_idle();
    let history = app.history("target-1").await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].error, "manifest is schema 1");
    app.stop().await;
}
