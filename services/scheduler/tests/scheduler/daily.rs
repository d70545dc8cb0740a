//! The daily rule on an injected clock: 25 hours since the last scan asks
//! for one, 1 hour does not.

use std::time::Duration;

use tagwarden_bus::events::{ScanReason, SeverityCounts};
use tagwarden_proto::scheduler::v1::ScanStatus;

use tagwarden_scheduler::Clock as _;

use crate::support::{App, Store, digest, spawn_app};

const HOUR: Duration = Duration::from_secs(3600);

/// Creates `target` and completes its first scan at the clock's time.
async fn scanned(app: &mut App, target: &str) {
    app.digest_changed(target, "v1", &digest('a'), "").await;
    let request = app.scanner.next().await;
    assert_eq!(request.target_id, target);
    app.complete(&request, SeverityCounts::default()).await;
    app.scan_reaches(&request.scan_id, ScanStatus::Completed.into())
        .await;
}

#[tokio::test]
async fn scanned_25_hours_ago_gets_one_daily_request_and_1_hour_ago_none() {
    let mut app = spawn_app(Store::Sqlite).await;
    let start = app.clock.now();
    // The clock is set, never waited on. The recent scan is placed first,
    // 24 hours on, then the clock goes back for the old one, so no daily
    // rule can fire in between.
    app.clock.set(start + 24 * HOUR);
    scanned(&mut app, "recent").await;
    app.clock.set(start);
    scanned(&mut app, "old").await;

    app.tick_at(start + 25 * HOUR).await;
    let daily = app.scanner.next().await;
    assert_eq!(daily.target_id, "old");
    assert_eq!(daily.reason(), ScanReason::Daily);
    assert_eq!(daily.digest, digest('a'));

    // Another tick later: still one request, and none for the recent one.
    app.tick_at(start + 25 * HOUR + Duration::from_secs(1))
        .await;
    let old = app.history("old").await;
    assert_eq!(old.len(), 2, "{old:?}");
    assert_eq!(old[0].id, daily.scan_id);
    assert_eq!(old[0].reason(), ScanReason::Daily);
    assert_eq!(app.history("recent").await.len(), 1);
    app.scanner.assert_idle();
    app.stop().await;
}
