//! A scanner that takes a request and dies: the scan is requested again
//! after the timeout, completes once, and history shows both attempts.

use std::time::Duration;

use tagwarden_bus::events::{ScanReason, SeverityCounts};
use tagwarden_proto::scheduler::v1::ScanStatus;
use tagwarden_scheduler::Clock as _;

use crate::support::{SCAN_TIMEOUT, Store, digest, spawn_app};

#[tokio::test]
async fn a_scan_whose_scanner_died_is_requested_again_after_the_timeout() {
    let mut app = spawn_app(Store::Sqlite).await;
    let start = app.clock.now();
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let lost = app.scanner.next().await;
    // The scanner took it and died: no result ever comes for `lost`.

    app.tick_at(start + SCAN_TIMEOUT - Duration::from_secs(1))
        .await;
    assert_eq!(app.history("target-1").await.len(), 1);
    app.scanner.assert_idle();
    app.tick_at(start + SCAN_TIMEOUT).await;
    let again = app.scanner.next().await;
    assert_ne!(again.scan_id, lost.scan_id);
    assert_eq!(
        (again.target_id.as_str(), again.digest.clone()),
        ("target-1", digest('a'))
    );
    assert_eq!(again.reason(), ScanReason::Retry);
    assert_eq!(again.attempt, 2);

    app.complete(&again, SeverityCounts::default()).await;
    app.scan_reaches(&again.scan_id, ScanStatus::Completed.into())
        .await;
    // Nothing more is due: a later deadline finds the target idle.
    app.tick_at(start + 3 * SCAN_TIMEOUT).await;
    app.scanner.assert_idle();

    let history = app.history("target-1").await;
    let attempts: Vec<(u32, ScanStatus)> =
        history.iter().map(|s| (s.attempt, s.status())).collect();
    assert_eq!(
        attempts,
        [(2, ScanStatus::Completed), (1, ScanStatus::Failed)]
    );
    assert_eq!(history[0].previous_scan_id, lost.scan_id);
    assert_eq!(history[1].id, lost.scan_id);
    assert_eq!(history[1].error, "scanner gave no result within 10 minutes");
    app.stop().await;
}
