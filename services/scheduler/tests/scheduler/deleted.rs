//! A deleted target: the scan in flight may finish and is recorded, nothing
//! new is requested, and its history stays listable.

use std::time::Duration;

use tagwarden_bus::Stream;
use tagwarden_bus::events::SeverityCounts;
use tagwarden_proto::scheduler::v1::ScanStatus;
use tagwarden_scheduler::Clock as _;

use crate::support::{Store, digest, spawn_app};

#[tokio::test]
async fn a_deleted_target_gets_no_new_requests_and_keeps_its_history() {
    let mut app = spawn_app(Store::Postgres).await;
    let start = app.clock.now();
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let running = app.scanner.next().await;

    app.target_deleted("target-1").await;
    app.handled("scheduler-target-deleted", Stream::Targets)
        .await;
    let counts = SeverityCounts {
        medium: 4,
        ..SeverityCounts::default()
    };
    app.complete(&running, counts).await;
    app.scan_reaches(&running.scan_id, ScanStatus::Completed.into())
        .await;

    // A new digest, a whole day and a scan deadline pass: nothing starts.
    app.digest_changed("target-1", "v2", &digest('b'), &digest('a'))
        .await;
    app.handled("scheduler-digest-changed", Stream::Tags).await;
    app.tick_at(start + Duration::from_secs(25 * 3600)).await;
    app.scanner.assert_idle();

    let history = app.history("target-1").await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].id, running.scan_id);
    assert_eq!(history[0].status(), ScanStatus::Completed);
    assert_eq!(history[0].counts, Some(counts));
    app.stop().await;
}
