//! One scan per target at a time: changes seen while a scan runs leave
//! exactly one follow-up, for the newest digest, requested when it ends.

use tagwarden_bus::Stream;
use tagwarden_bus::events::{ScanReason, SeverityCounts};
use tagwarden_proto::scheduler::v1::ScanStatus;

use crate::support::{Store, digest, image, spawn_app};

async fn three_changes_while_scanning_leave_one_follow_up_for_the_newest(store: Store) {
    let mut app = spawn_app(store).await;
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let first = app.scanner.next().await;
    assert_eq!(first.target_id, "target-1");
    assert_eq!(
        (first.tag.as_str(), first.digest.clone()),
        ("v1", digest('a'))
    );
    assert_eq!(first.reason(), ScanReason::TargetCreated);
    assert_eq!(first.attempt, 1);
    assert_eq!(first.image, Some(image()));

    app.digest_changed("target-1", "v2", &digest('b'), &digest('a'))
        .await;
    app.digest_changed("target-1", "v3", &digest('c'), &digest('b'))
        .await;
    app.digest_changed("target-1", "v4", &digest('d'), &digest('c'))
        .await;
    app.handled("scheduler-digest-changed", Stream::Tags).await;

    // All three are committed, and still only the first scan exists.
    let history = app.history("target-1").await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].status(), ScanStatus::Queued);
    app.scanner.assert_idle();

    let counts = SeverityCounts {
        critical: 1,
        high: 2,
        ..SeverityCounts::default()
    };
    app.complete(&first, counts).await;
    let follow_up = app.scanner.next().await;
    assert_eq!(follow_up.target_id, "target-1");
    assert_eq!(
        (follow_up.tag.as_str(), follow_up.digest.clone()),
        ("v4", digest('d'))
    );
    assert_eq!(follow_up.reason(), ScanReason::DigestChanged);
    assert_ne!(follow_up.scan_id, first.scan_id);

    app.complete(&follow_up, SeverityCounts::default()).await;
    app.scan_reaches(&follow_up.scan_id, ScanStatus::Completed.into())
        .await;
    app.handled("scheduler-scan-completed", Stream::Scans).await;
    let history = app.history("target-1").await;
    let ids: Vec<&str> = history.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [follow_up.scan_id.as_str(), first.scan_id.as_str()]);
    assert_eq!(history[1].status(), ScanStatus::Completed);
    assert_eq!(history[1].counts, Some(counts));
    assert_eq!(history[1].new_issues, 3);
    app.scanner.assert_idle();
    app.stop().await;
}

#[tokio::test]
async fn three_changes_while_scanning_leave_one_follow_up_on_sqlite() {
    three_changes_while_scanning_leave_one_follow_up_for_the_newest(Store::Sqlite).await;
}

#[tokio::test]
async fn three_changes_while_scanning_leave_one_follow_up_on_postgres() {
    three_changes_while_scanning_leave_one_follow_up_for_the_newest(Store::Postgres).await;
}
