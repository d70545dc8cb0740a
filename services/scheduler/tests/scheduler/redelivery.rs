//! At-least-once delivery: an event delivered twice acts once. The copies
//! are published without `Nats-Msg-Id`, so JetStream stores both, as it
//! would after a redelivery.

use tagwarden_bus::events::{DigestChanged, SeverityCounts};
use tagwarden_bus::{Event, Stream, Subject};

use crate::support::{Store, completed, digest, image, publish_twice, spawn_app};

#[tokio::test]
async fn a_digest_change_and_a_result_delivered_twice_act_once() {
    let mut app = spawn_app(Store::Sqlite).await;
    let created = app.bus.envelope(Event::DigestChanged(DigestChanged {
        target_id: "target-1".into(),
        image: Some(image()),
        tag: "v1".into(),
        digest: digest('a'),
        ..DigestChanged::default()
    }));
    publish_twice(&app, &created, Subject::DigestChanged).await;
    let first = app.scanner.next().await;
    app.digest_changed("target-1", "v2", &digest('b'), &digest('a'))
        .await;
    app.handled("scheduler-digest-changed", Stream::Tags).await;
    assert_eq!(app.history("target-1").await.len(), 1);

    let result = app
        .bus
        .envelope(completed(&first, SeverityCounts::default()));
    publish_twice(&app, &result, Subject::ScanCompleted).await;
    let follow_up = app.scanner.next().await;
    assert_eq!(follow_up.digest, digest('b'));
    app.handled("scheduler-scan-completed", Stream::Scans).await;
    assert_eq!(app.history("target-1").await.len(), 2);
    app.scanner.assert_idle();
    app.stop().await;
}
